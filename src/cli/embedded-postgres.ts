// The demo's own PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly, in this process) served on
// the wire by @electric-sql/pglite-socket, its data kept in a folder. No server on the machine is
// needed or touched.
//
// PGlite runs one backend for all connections (pglite-socket queues their messages and keeps a
// transaction on the connection that opened it), and it has one role, `postgres`, whatever user a
// client names: the embedded upstream is a sandbox for trying Airlock, not a production target.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** postgresql:// URL of the wire listener (127.0.0.1, a free port) */
  url: string;
  /** true when the data folder was created by this start (sample data loaded) */
  created: boolean;
  close(): Promise<void>;
}

/**
 * Start PGlite on `dataDir` (created and seeded with `seedSql` when new) and serve it on 127.0.0.1.
 * PGlite has one database; `database` is only the name clients use for it.
 */
export async function startEmbeddedPostgres(dataDir: string, database: string, seedSql: () => string): Promise<EmbeddedPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const created = !existsSync(join(dataDir, 'PG_VERSION'));
  const db: PGlite = await PGlite.create({ dataDir });
  try {
    if (created) await db.exec(seedSql());
    const server: PGLiteSocketServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/${database}`,
      created,
      close: async () => {
        await server.stop();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
