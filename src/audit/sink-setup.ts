// Setting up a persistent audit log: its journal beside the store, the checkpoint key and files,
// and the sink (a worker thread, or in-thread) that replays orphaned journals before it starts.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { configError } from '../errors.js';
import type { OpenStoreOptions } from '../store/open.js';
import { parseStoreUrl } from '../store/open.js';
import type { Store } from '../store/store.js';
import { loadAuditKey } from './checkpoints.js';
import { JournalWriter } from './journal.js';
import { auditPaths, type AuditPathOverrides } from './state-paths.js';
import { ThreadSink, type AuditSink, type SinkEvents, type WriterSettings } from './sink.js';
import { WorkerSink } from './worker-sink.js';

export interface SinkOpenOptions extends AuditPathOverrides {
  schema?: string;
  store?: Store;
}

/** The journal of this process and the writer settings that go with it. */
export function prepareJournal(
  storeUrl: string,
  opts: SinkOpenOptions,
): { journal: JournalWriter; settings: Omit<WriterSettings, 'maxBatch'> } {
  const target = parseStoreUrl(storeUrl);
  if (target.kind === 'sqlite' && !existsSync(dirname(target.path))) {
    throw configError(`cannot open SQLite store ${target.path}: its directory does not exist`);
  }
  const paths = auditPaths(storeUrl, opts.schema, opts);
  const key = loadAuditKey(paths.keyFile, true);
  const journal = new JournalWriter(paths.journalDir!);
  return { journal, settings: { key, checkpointFile: paths.checkpointFile, journalDir: paths.journalDir, ownJournal: journal.name } };
}

/** The sink: in-thread over the caller's store (orphans replayed first), or a worker on its own connection. */
export async function openSink(
  storeUrl: string,
  opts: SinkOpenOptions,
  settings: WriterSettings,
  threaded: boolean,
  events: SinkEvents,
): Promise<AuditSink> {
  if (!threaded) {
    const sink = new ThreadSink(opts.store!, settings, events);
    await sink.recover(settings.ownJournal);
    return sink;
  }
  const storeOptions: OpenStoreOptions = opts.schema ? { schema: opts.schema, max: 2 } : { max: 2 };
  const key = settings.key ? settings.key.toString('base64') : null;
  return WorkerSink.start({ ...settings, key, storeUrl, storeOptions }, events);
}

/** Replay journals left by processes that died into the store, without opening a log. */
export async function recoverJournals(storeUrl: string, store: Store, opts: SinkOpenOptions): Promise<number> {
  const paths = auditPaths(storeUrl, opts.schema, opts);
  if (!paths.journalDir) return 0;
  const key = loadAuditKey(paths.keyFile, false);
  const settings = { key, checkpointFile: paths.checkpointFile, journalDir: paths.journalDir, maxBatch: 1000 };
  return new ThreadSink(store, settings, { onStored: () => undefined, onFailed: () => undefined }).recover();
}
