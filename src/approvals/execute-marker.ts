// The exactly-once marker: a row per executed approval in the upstream database itself,
// inserted in the same transaction as the approved statement. It commits if and only if the
// statement commits, and a second execution of the same id fails on the primary key.
import type { PoolClient } from 'pg';
import { POOL_KINDS, type UpstreamPools } from '../upstream/pools.js';

export const MARKER_TABLE = 'airlock_meta.executions';

const ready = new WeakMap<UpstreamPools, Set<string>>();

/** Create airlock_meta.executions on first use; an advisory lock keeps concurrent creators apart. */
export async function ensureMarkerTable(pools: UpstreamPools, database: string): Promise<void> {
  const done = ready.get(pools) ?? new Set<string>();
  ready.set(pools, done);
  if (done.has(database)) return;
  const client = await pools.connect(database, POOL_KINDS.readWrite);
  let broken = false;
  try {
    // a DBA may have created it for a role without CREATE on the database
    const exists = await client.query(`SELECT to_regclass('${MARKER_TABLE}') IS NOT NULL AS present`);
    if (exists.rows[0]?.present) {
      done.add(database);
      return;
    }
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('airlock_meta.executions'))");
    await client.query('CREATE SCHEMA IF NOT EXISTS airlock_meta');
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (approval_id text PRIMARY KEY, executed_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query('COMMIT');
    done.add(database);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** After the marker table vanished (42P01/3F000): create it again on the next execution. */
export function forgetMarkerTable(pools: UpstreamPools, database: string): void {
  ready.get(pools)?.delete(database);
}

/** Claim the approval id inside the caller's transaction; false when it was already executed. */
export async function claimMarker(client: PoolClient, approvalId: string): Promise<boolean> {
  try {
    await client.query(`INSERT INTO ${MARKER_TABLE} (approval_id) VALUES ($1)`, [approvalId]);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return false;
    throw err;
  }
}

/** After a crash: did the approved statement commit? (The marker commits with it.) */
export async function wasExecuted(pools: UpstreamPools, database: string, approvalId: string): Promise<boolean> {
  const client = await pools.connect(database, POOL_KINDS.readOnly);
  try {
    const { rows } = await client.query(`SELECT to_regclass('${MARKER_TABLE}') IS NOT NULL AS present`);
    if (!rows[0]?.present) return false;
    const found = await client.query(`SELECT 1 FROM ${MARKER_TABLE} WHERE approval_id = $1`, [approvalId]);
    return (found.rowCount ?? 0) > 0;
  } finally {
    client.release();
  }
}

/** For statements that cannot run in a transaction block: release the claim when they fail. */
export async function releaseMarker(pools: UpstreamPools, database: string, approvalId: string): Promise<void> {
  const client = await pools.connect(database, POOL_KINDS.readWrite);
  try {
    await client.query(`DELETE FROM ${MARKER_TABLE} WHERE approval_id = $1`, [approvalId]);
  } finally {
    client.release();
  }
}
