// A gateway stand-in for the kill -9 test: starts a BullMQ worker whose handler never
// returns, prints "started <id>" when it takes a job, and waits to be killed.
import { openQueue } from '../../src/approvals/queue.js';

const [redisUrl, name, prefix] = process.argv.slice(2);
if (!redisUrl || !name || !prefix) {
  process.stderr.write('usage: queue-child-worker.ts REDIS_URL NAME PREFIX\n');
  process.exit(2);
}

const queue = openQueue({ redisUrl, name, prefix, lockDurationMs: 1000, stalledIntervalMs: 500 });
await queue.start(async (approvalId) => {
  process.stdout.write(`started ${approvalId}\n`);
  await new Promise<never>(() => {}); // hang: this execution only ends with the process
});
process.stdout.write('ready\n');
setInterval(() => {}, 60_000); // keep the process alive until killed
