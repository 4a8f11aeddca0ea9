// The worker sink: committed chunks go to the audit worker, which hashes and writes them on its own
// store connection; journaled ones by reference to their journal bytes (journal-ranges.ts). Chunks not yet
// confirmed are kept and sent again to a restarted worker; the journal offset makes that exactly once.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { logger } from '../logger.js';
import type { OpenStoreOptions } from '../store/open.js';
import type { AuditChunk } from './chunk-writer.js';
import { handOff, type HandedChunk } from './journal-ranges.js';
import { within, type AuditSink, type SinkEvents, type WriterSettings } from './sink.js';

/** main → worker */
export type ToWorker = { t: 'chunks'; chunks: HandedChunk[] } | { t: 'kick' } | { t: 'close' };

/** worker → main */
export type FromWorker =
  | { t: 'ready' }
  | { t: 'open-failed'; message: string; code?: string }
  | { t: 'stored'; upTo: number }
  | { t: 'failed'; message: string }
  | { t: 'ranges-failed'; message: string };

export interface WorkerInit extends Omit<WriterSettings, 'key'> {
  storeUrl: string;
  storeOptions: OpenStoreOptions;
  /** base64, so the worker can sign checkpoints */
  key: string | null;
  /** one BigInt64 slot: how many events are stored, set by the worker, read by poll() */
  progress: SharedArrayBuffer;
}

/** The worker's side of WorkerInit.progress. */
export const publishStored = (progress: SharedArrayBuffer, upTo: number): void => {
  Atomics.store(new BigInt64Array(progress), 0, BigInt(upTo));
};

/**
 * Built, the worker is plain .js next to this file. From source (tsx, vitest) it is .ts, and a
 * worker's --import hooks do not apply to its entry module on Node 20, so a tiny bootstrap
 * registers tsx first, then imports the worker.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./audit-worker.js', import.meta.url), { workerData: init });
  const tsxPkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(join(dirname(tsxPkg), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./audit-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

/** Open a worker and wait until its store is open (and orphaned journals replayed). */
function spawn(init: WorkerInit): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = startWorker(init);
    const detach = () => {
      w.off('message', onMsg);
      w.off('error', fail);
      w.off('exit', onExit);
    };
    const fail = (e: Error) => {
      detach();
      reject(e);
    };
    const onMsg = (m: FromWorker) => {
      if (m.t === 'ready') {
        detach();
        resolve(w);
      } else if (m.t === 'open-failed') {
        void w.terminate();
        fail(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
      }
    };
    const onExit = (code: number) => fail(new Error(`audit worker exited (code ${code}) before its store opened`));
    w.on('message', onMsg);
    w.once('error', fail);
    w.once('exit', onExit);
  });
}

/**
 * How long committed chunks wait to be handed over together (a flush hands them over at once). The
 * hand-off is the worker's group commit too: it stores each message in one transaction at once. Each
 * wake-up of its thread and each commit cost far more than an event (a commit writes a few pages of
 * indexes whatever its size), so at a steady 4,000 statements/s a 50 ms period takes the worker from
 * 17–20 to 8–11 µs of CPU per statement (10 ms hand-off + 20 ms group commit before). Durability does
 * not wait: the journal has the events; only listings see them up to this much later.
 */
const HANDOFF_MS = 50;

export class WorkerSink implements AuditSink {
  readonly threaded = true;
  /** sent and not yet confirmed stored, kept for a restarted worker */
  private unconfirmed: AuditChunk[] = [];
  private stored = 0;
  private closed = false;
  private worker: Worker | null = null;
  /** chunks not yet posted: sent together HANDOFF_MS after the first, off the path of the results they release */
  private outbox: AuditChunk[] = [];
  private handoff: NodeJS.Timeout | null = null;
  /** when the oldest chunk in the outbox was put there */
  private outboxSince = 0;
  /** journaled chunks go by reference to their bytes, until the worker once fails to read them */
  private byRange = true;
  private readonly progress: BigInt64Array;

  private constructor(
    worker: Worker,
    private readonly init: WorkerInit,
    private readonly events: SinkEvents,
  ) {
    this.progress = new BigInt64Array(init.progress);
    this.attach(worker);
  }

  /** Start the worker on its own connection to the store; resolves once that store is open. */
  static async start(settings: Omit<WorkerInit, 'progress'>, events: SinkEvents): Promise<WorkerSink> {
    const init = { ...settings, progress: new SharedArrayBuffer(8) };
    return new WorkerSink(await spawn(init), init, events);
  }

  write(chunk: AuditChunk): void {
    this.unconfirmed.push(chunk);
    // the chunk is journaled already (durable): handing it over waits for the chunks of the next few
    // ms, so a busy proxy wakes the worker once per hand-off period, not once per tick. A caller that
    // keeps the event loop from turning (a long run of promise callbacks) keeps the timer from firing:
    // then the write that finds the outbox overdue hands it over.
    if (this.outbox.push(chunk) === 1) {
      this.outboxSince = Date.now();
      this.handoff = setTimeout(this.sendOutbox, HANDOFF_MS).unref();
    } else if (Date.now() - this.outboxSince >= HANDOFF_MS) this.sendOutbox();
    this.updateRef();
  }

  /**
   * Hand over what waits, and take the worker's progress from shared memory rather than from its
   * messages, which wait for this thread's event loop: so the lag the log refuses on is the store's,
   * never time this thread spent without looking at its messages.
   */
  poll(): void {
    this.sendOutbox();
    const upTo = Number(Atomics.load(this.progress, 0));
    if (upTo > this.stored) this.onMessage({ t: 'stored', upTo });
  }

  private readonly sendOutbox = (): void => {
    if (this.handoff) clearTimeout(this.handoff);
    this.handoff = null;
    if (!this.outbox.length) return;
    const chunks = handOff(this.outbox, this.init.maxBatch, !this.byRange);
    this.outbox = [];
    this.post({ t: 'chunks', chunks });
  };

  kick(): void {
    this.sendOutbox();
    this.post({ t: 'kick' });
  }

  /** Let the worker store what it has (bounded), close its store and end. */
  async close(): Promise<void> {
    this.closed = true;
    this.sendOutbox();
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    w.ref();
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage({ t: 'close' } satisfies ToWorker);
    await within(exited, 15_000);
    await w.terminate();
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private attach(w: Worker): void {
    this.worker = w;
    this.updateRef();
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (err) => logger.error({ err: err.message }, 'audit worker failed'));
    w.on('exit', (code) => {
      if (this.worker !== w) return; // closed on purpose
      this.worker = null;
      logger.error({ code, unconfirmed: this.unconfirmed.length }, 'audit worker exited; restarting it');
      this.respawn(100);
    });
  }

  private respawn(delayMs: number): void {
    setTimeout(() => {
      spawn(this.init).then(
        (w) => {
          if (this.closed) return void w.terminate();
          this.attach(w);
          // what the dead worker had not confirmed goes again, with its text (should reading the journal
          // have been what failed); applied ranges are skipped by journal offset
          this.outbox = [];
          if (this.unconfirmed.length) this.post({ t: 'chunks', chunks: handOff(this.unconfirmed, this.init.maxBatch, true) });
        },
        (err: Error) => {
          logger.error({ err: err.message }, 'audit worker restart failed; retrying');
          this.respawn(Math.min(30_000, delayMs * 2));
        },
      );
    }, delayMs).unref();
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'stored') {
      this.stored = Math.max(this.stored, m.upTo);
      while (this.unconfirmed.length && this.unconfirmed[0].first + this.unconfirmed[0].count <= this.stored) this.unconfirmed.shift();
      this.events.onStored(this.stored);
    } else if (m.t === 'failed') this.events.onFailed(new Error(m.message));
    else if (m.t === 'ranges-failed') {
      this.byRange = false;
      logger.error({ err: m.message }, 'the audit worker cannot read the journal; handing it the lines from now on');
    }
    this.updateRef();
  }

  /** Keep the process alive while chunks wait to be stored. */
  private updateRef(): void {
    if (!this.worker) return;
    if (this.unconfirmed.length > 0 && !this.closed) this.worker.ref();
    else this.worker.unref();
  }
}
