// Child process for the kill -9 test: opens a gateway that does not execute (no workers), holds two
// writes, approves one, prints the ids, then waits to be killed.
import { Gateway } from '../../src/gateway/gateway.js';
import { parseConfig } from '../../src/config/load.js';

const { config, opts, agent } = JSON.parse(process.env.AIRLOCK_CHILD_SPEC ?? '{}');
const gw = await Gateway.open(parseConfig(config), { ...opts, startWorkers: false });
const req = (sql: string) => ({ agent, door: 'api' as const, database: new URL(config.upstream.url).pathname.slice(1), sql });
const pending = await gw.query(req("INSERT INTO audit_log (id, note) VALUES (9001, 'kept pending')"));
const approved = await gw.query(req("INSERT INTO audit_log (id, note) VALUES (9002, 'approved before crash')"));
if (pending.status !== 'pending' || approved.status !== 'pending') throw new Error(`unexpected ${pending.status}/${approved.status}`);
await gw.approvals.approve(approved.approvalId, 'rita');
await gw.audit.flush();
process.stdout.write(`${JSON.stringify({ pending: pending.approvalId, approved: approved.approvalId })}\n`);
setInterval(() => {}, 1000);
