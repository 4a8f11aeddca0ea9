// The proxy-side half of the threaded audit log: append() only remembers the caller's input and
// the time; every few ms the batch goes to the audit worker in one postMessage, and the worker
// (audit-worker.ts) redacts, hashes and writes it on its own store connection.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { logger } from '../logger.js';
import type { OpenStoreOptions } from '../store/open.js';
import { toAuditBody, type AuditInput } from './events.js';

/** main → worker */
export type ToWorker = { t: 'events'; events: AuditInput[]; ts: number[] } | { t: 'flush'; id: number } | { t: 'close'; id: number };

/** worker → main */
export type FromWorker =
  | { t: 'ready' }
  | { t: 'open-failed'; message: string; code?: string }
  | { t: 'stored'; total: number }
  | { t: 'write-failed'; message: string }
  | { t: 'flushed'; id: number; error?: string };

export interface WorkerInit {
  storeUrl: string;
  storeOptions: OpenStoreOptions;
  maxBatch: number;
}

export interface AuditWorkerOptions {
  flushIntervalMs: number;
  maxBatch: number;
  maxQueue: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

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

/** Open a worker and wait until its store is open; rejects with the worker's own error. */
function spawn(init: WorkerInit): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = startWorker(init);
    const fail = (e: Error) => (w.off('message', onMsg), w.off('exit', onExit), reject(e));
    const onMsg = (m: FromWorker) => {
      if (m.t === 'ready') (w.off('message', onMsg), w.off('error', fail), w.off('exit', onExit), resolve(w));
      else if (m.t === 'open-failed') {
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

export class AuditWorkerQueue {
  private events: AuditInput[] = [];
  private ts: number[] = [];
  /** batches posted and not yet confirmed stored, kept to re-send if the worker dies */
  private sent: { first: number; events: AuditInput[]; ts: number[] }[] = [];
  private posted = 0;
  private enqueued = 0;
  private stored = 0;
  private dropped = 0;
  private failing = false;
  private refed = false;
  private closed = false;
  private worker: Worker | null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly flushes = new Map<number, Waiter>();
  /** stored count when the current worker started (its 'stored' totals are relative to it) */
  private base = 0;

  private constructor(
    worker: Worker,
    private readonly init: WorkerInit,
    private readonly opts: AuditWorkerOptions,
  ) {
    this.worker = null;
    this.attach(worker);
  }

  /** Start the worker on its own connection to the store; resolves once that store is open. */
  static async start(init: WorkerInit, opts: AuditWorkerOptions): Promise<AuditWorkerQueue> {
    return new AuditWorkerQueue(await spawn(init), init, opts);
  }

  get pending(): number {
    return this.enqueued - this.stored;
  }

  append(event: AuditInput): void {
    if (this.closed) {
      logger.error({ type: event.type }, 'audit event appended after close; dropped');
      return;
    }
    if (this.enqueued - this.stored >= this.opts.maxQueue) {
      if (this.dropped++ % 1000 === 0) logger.error({ dropped: this.dropped }, 'audit queue full (store unreachable?); dropping events');
      return;
    }
    this.events.push(event);
    this.ts.push(Date.now());
    this.enqueued++;
    if (this.events.length >= this.opts.maxBatch) this.send();
    else if (!this.timer) this.timer = setTimeout(this.onTimer, this.opts.flushIntervalMs);
  }

  /** Resolves when every event appended before the call is stored; rejects if the store fails. */
  flush(): Promise<void> {
    const target = this.enqueued;
    if (this.stored >= target) return Promise.resolve();
    this.send();
    return new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      this.flushes.set(id, { target, resolve, reject });
      this.post({ t: 'flush', id });
      this.updateRef();
    });
  }

  /** Flush, close the worker's store and end the worker; later appends are dropped. */
  async close(): Promise<void> {
    try {
      // an overflow note appended while flushing is written too
      do await this.flush();
      while (this.stored < this.enqueued);
    } finally {
      this.closed = true;
      if (this.timer) (clearTimeout(this.timer), (this.timer = null));
      const w = this.worker;
      this.worker = null;
      if (w) {
        await new Promise<void>((resolve) => {
          const id = this.nextId++;
          w.once('exit', () => resolve());
          // the worker closes its store and its port, then ends by itself; a stuck one is stopped
          w.postMessage({ t: 'close', id } satisfies ToWorker);
          w.ref();
          setTimeout(() => void w.terminate(), 10_000).unref();
        });
      }
    }
  }

  private readonly onTimer = () => {
    this.timer = null;
    this.send();
  };

  /** Hand the buffered events to the worker: one structured clone for the whole batch. */
  private send(): void {
    if (this.timer) (clearTimeout(this.timer), (this.timer = null));
    if (!this.events.length) return;
    const events = this.events;
    const ts = this.ts;
    this.events = [];
    this.ts = [];
    const first = this.posted;
    this.posted += events.length;
    this.sent.push({ first, ...this.postEvents(events, ts) });
    this.updateRef();
  }

  /** One structured clone per batch; returns what was actually sent. */
  private postEvents(events: AuditInput[], ts: number[]): { events: AuditInput[]; ts: number[] } {
    try {
      this.post({ t: 'events', events, ts });
      return { events, ts };
    } catch {
      // Something in a caller's data cannot be cloned (a function, a symbol): snapshot on this side.
      const safe = events.map((e, i) => bodyAsInput(e, ts[i]));
      const times = safe.map((e) => e.ts!);
      this.post({ t: 'events', events: safe, ts: times });
      return { events: safe, ts: times };
    }
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private attach(w: Worker): void {
    this.worker = w;
    this.refed = true;
    this.updateRef();
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (err) => logger.error({ err: err.message }, 'audit worker failed'));
    w.on('exit', (code) => {
      if (this.worker !== w) return; // closed on purpose
      this.worker = null;
      logger.error({ code, unstored: this.posted - this.stored }, 'audit worker exited; restarting it');
      this.respawn(100);
    });
  }

  private respawn(delayMs: number): void {
    setTimeout(() => {
      spawn(this.init).then(
        (w) => {
          if (this.closed) return void w.terminate();
          this.base = this.stored;
          this.attach(w);
          // What the dead worker had not confirmed is sent again, in order (may store a batch twice).
          for (const b of this.sent) {
            const skip = Math.max(0, this.stored - b.first);
            this.postEvents(b.events.slice(skip), b.ts.slice(skip));
          }
          for (const id of this.flushes.keys()) this.post({ t: 'flush', id });
        },
        (err: Error) => {
          logger.error({ err: err.message }, 'audit worker restart failed; retrying');
          this.respawn(Math.min(30_000, delayMs * 2));
        },
      );
    }, delayMs).unref();
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'stored': {
        // the worker counts from its own start; after a restart its totals restart too
        this.stored = Math.max(this.stored, this.base + m.total);
        while (this.sent.length && this.sent[0].first + this.sent[0].events.length <= this.stored) this.sent.shift();
        this.failing = false;
        for (const [id, w] of this.flushes) if (this.stored >= w.target) (this.flushes.delete(id), w.resolve());
        if (this.dropped) this.noteDropped();
        break;
      }
      case 'write-failed':
        this.failing = true;
        break;
      case 'flushed': {
        const w = this.flushes.get(m.id);
        if (!w) break;
        if (m.error) (this.flushes.delete(m.id), w.reject(new Error(m.error)));
        else if (this.stored >= w.target) (this.flushes.delete(m.id), w.resolve());
        break;
      }
    }
    this.updateRef();
  }

  /** Keep the process alive while events wait to be stored, unless the store is failing. */
  private updateRef(): void {
    const want = !this.failing && (this.posted > this.stored || this.flushes.size > 0);
    if (want === this.refed || !this.worker) return;
    this.refed = want;
    if (want) this.worker.ref();
    else this.worker.unref();
  }

  private noteDropped(): void {
    const dropped = this.dropped;
    this.dropped = 0;
    this.append({ type: 'error', data: { message: 'audit queue overflow; events were dropped', dropped } });
  }
}

/** The redacted, JSON-safe snapshot of an input, back in input form (always cloneable). */
function bodyAsInput(e: AuditInput, now: number): AuditInput {
  let b;
  try {
    b = toAuditBody(e, now);
  } catch (err) {
    b = toAuditBody({ type: 'error', data: { message: 'unauditable event', cause: String(err), eventType: String(e?.type) } }, now);
  }
  return {
    type: b.type as AuditInput['type'],
    ts: b.ts,
    agent: b.agent,
    door: b.door,
    database: b.database,
    decision: b.decision as AuditInput['decision'],
    rule: b.rule,
    requestId: b.request_id,
    approvalId: b.approval_id,
    data: b.data,
  };
}
