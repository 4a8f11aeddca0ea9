// Per-database catalog facts for the policy, kept fresh: read before a database's first decision
// (prepare), then again every refresh interval for every database in use, so a function created
// after start is distrusted within that interval. Decisions never wait on the upstream.
import { logger } from '../logger.js';
import type { DatabaseCatalog } from '../domain/decision.js';
import { readCatalog, UNKNOWN_CATALOG, type ColumnFilter } from './catalog.js';
import type { UpstreamPools } from './pools.js';

interface Entry {
  catalog: DatabaseCatalog;
  readAt: number;
  reading: Promise<void> | null;
}

export class CatalogCache {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pools: UpstreamPools,
    private readonly refreshMs: number,
    private readonly maxDatabases = 1000,
    /** masking: read the columns it covers too */
    private readonly columns?: ColumnFilter,
  ) {
    this.timer = setInterval(() => {
      for (const database of this.entries.keys()) void this.read(database);
    }, refreshMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Read the database's catalog if it was never read (or is stale); never throws. */
  async prepare(database: string): Promise<void> {
    const e = this.entries.get(database);
    if (e && Date.now() - e.readAt < this.refreshMs && e.catalog.loaded) return;
    await this.read(database);
  }

  /** The facts for a decision now: cached (refreshed by the timer), or unknown (trust nothing) while never read. */
  get(database: string): DatabaseCatalog {
    const e = this.entries.get(database);
    if (!e) {
      void this.read(database);
      return UNKNOWN_CATALOG;
    }
    return e.catalog;
  }

  private read(database: string): Promise<void> {
    let e = this.entries.get(database);
    if (e?.reading) return e.reading;
    if (!e) {
      if (this.entries.size >= this.maxDatabases) this.entries.delete(this.entries.keys().next().value!);
      e = { catalog: UNKNOWN_CATALOG, readAt: 0, reading: null };
      this.entries.set(database, e);
    }
    const entry = e;
    entry.reading = readCatalog(this.pools, database, this.columns).then(
      (catalog) => {
        entry.catalog = catalog;
        entry.readAt = Date.now();
        entry.reading = null;
      },
      (err: Error) => {
        // keep what was known before; a database never read stays unknown (nothing trusted)
        entry.readAt = Date.now();
        entry.reading = null;
        logger.warn({ err: err.message, database }, 'could not read the function catalog of an upstream database');
      },
    );
    return entry.reading;
  }
}
