// Where committed audit chunks go: the contract of the two sinks, and the in-thread one (the store
// is written from the request thread). The worker sink (worker-sink.ts) runs the same ChunkWriter
// in a worker thread. Everything about queues, lag and refusal lives once, in AuditLog.
import type { Store } from '../store/store.js';
import { ChunkWriter, type AuditChunk } from './chunk-writer.js';

export interface SinkEvents {
  /** every event of chunks before this index is stored */
  onStored: (upTo: number) => void;
  /** a write failed; it will be retried */
  onFailed: (err: Error) => void;
}

export interface AuditSink {
  readonly threaded: boolean;
  /** hand over a committed chunk; chunks are stored in order, retried while the store fails */
  write(chunk: AuditChunk): void;
  /** retry a failed write now rather than after its backoff */
  kick(): void;
  /** hand over what waits and report progress not yet delivered (before the log refuses on lag) */
  poll(): void;
  /** store what is queued (within a bound when the store keeps failing), then release the store */
  close(): Promise<void>;
}

export interface WriterSettings {
  key: Buffer | null;
  checkpointFile: string | null;
  journalDir: string | null;
  /** the journal this process writes (never treated as an orphan) */
  ownJournal?: string;
  maxBatch: number;
}

const CLOSE_BOUND_MS = 10_000;

/** p's value, or undefined when ms pass first. */
export const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

export class ThreadSink implements AuditSink {
  readonly threaded = false;
  private readonly writer: ChunkWriter;

  constructor(store: Store, settings: WriterSettings, events: SinkEvents) {
    this.writer = new ChunkWriter(store, { ...settings, ...events });
  }

  /** Replay journals of processes that died; call once before the first write. */
  recover(ownJournal?: string): Promise<number> {
    return this.writer.recoverOrphans(ownJournal);
  }

  write(chunk: AuditChunk): void {
    this.writer.write(chunk);
  }

  kick(): void {
    this.writer.kick();
  }

  /** Writes run on this thread: their progress is reported as it happens. */
  poll(): void {}

  async close(): Promise<void> {
    await within(this.writer.finish(), CLOSE_BOUND_MS);
  }
}
