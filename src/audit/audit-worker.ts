// The audit worker thread: owns its own store connection and a ChunkWriter, so hashing and INSERTs
// run off the proxy's event loop. At start it replays journals left by processes that died, and it
// looks for new orphans now and then (another gateway on this machine killed with kill -9).
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { logger } from '../logger.js';
import { ChunkWriter } from './chunk-writer.js';
import { JournalRangeReader } from './journal-ranges.js';
import { publishStored, type FromWorker, type ToWorker, type WorkerInit } from './worker-sink.js';

const ORPHAN_SCAN_MS = 30_000;
const port = parentPort!;
const init = workerData as WorkerInit;
const reply = (m: FromWorker) => port.postMessage(m);

let store: Store | null = null;
try {
  store = await openStore(init.storeUrl, init.storeOptions);
} catch (err) {
  const e = err as Error & { code?: unknown };
  reply({ t: 'open-failed', message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) });
}

if (store) {
  const opened = store;
  const writer = new ChunkWriter(opened, {
    key: init.key ? Buffer.from(init.key, 'base64') : null,
    checkpointFile: init.checkpointFile,
    journalDir: init.journalDir,
    maxBatch: init.maxBatch,
    onStored: (upTo) => {
      publishStored(init.progress, upTo);
      reply({ t: 'stored', upTo });
    },
    onFailed: (err) => reply({ t: 'failed', message: err.message }),
  });
  const recover = () =>
    writer.recoverOrphans(init.ownJournal).catch((err: Error) => logger.error({ err: err.message }, 'audit journal recovery failed'));
  await recover();
  const scan = setInterval(() => void recover(), ORPHAN_SCAN_MS);
  scan.unref();
  const ranges = new JournalRangeReader(init.journalDir);
  port.on('message', (m: ToWorker) => {
    if (m.t === 'chunks') {
      try {
        for (const h of m.chunks) for (const c of ranges.chunks(h)) writer.write(c);
      } catch (err) {
        // the journal cannot be read back (removed under us?): end, and the restart gets the texts
        reply({ t: 'ranges-failed', message: (err as Error).message });
        process.exit(1);
      }
    } else if (m.t === 'kick') writer.kick();
    else if (m.t === 'close') {
      clearInterval(scan);
      ranges.close();
      void writer
        .finish()
        .then(() => opened.close())
        .catch(() => undefined)
        .finally(() => port.close());
    }
  });
  reply({ t: 'ready' });
}
