// The audit worker thread: owns its own store connection and an in-thread AuditLog, so the
// redaction, canonical JSON, hashing and INSERTs of every event run off the proxy's event loop.
// Batches arrive in append order on one port; progress and flush results go back on it.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { AuditLog } from './audit-log.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-client.js';

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
  const log = new AuditLog(opened, {
    flushIntervalMs: 0, // the main thread already waited for company
    maxBatch: init.maxBatch,
    maxQueue: Number.MAX_SAFE_INTEGER, // the bound is kept on the main thread, which counts drops
    onStored: (total) => reply({ t: 'stored', total }),
    onWriteFailed: (err) => reply({ t: 'write-failed', message: err.message }),
  });
  const settle = (id: number, p: Promise<void>) =>
    p.then(
      () => reply({ t: 'flushed', id }),
      (err: Error) => reply({ t: 'flushed', id, error: err.message }),
    );
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'events':
        for (let i = 0; i < m.events.length; i++) {
          const e = m.events[i];
          if (e.ts === undefined) e.ts = m.ts[i];
          log.append(e);
        }
        break;
      case 'flush':
        void settle(m.id, log.flush());
        break;
      case 'close':
        void settle(
          m.id,
          log.close().finally(() => opened.close()),
        ).then(() => port.close());
        break;
    }
  });
  reply({ t: 'ready' });
}
