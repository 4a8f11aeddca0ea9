// Agent identities in portable SQL (both dialects): the token is returned once and only its hashes
// (sha256 for bearer tokens, a SCRAM verifier for the wire) are kept.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AirlockError, SqlState, invalidParameterValue } from '../errors.js';
import type { AgentAuth, AgentRecord } from '../domain/agent.js';
import { makeScramVerifier } from './scram-verifier.js';
import { isUniqueViolation, type Row, type SqlExec } from './sql-driver.js';

export const agentNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/, 'agent name: 1-63 letters, digits, _ . @ - (starting with a letter or digit)');

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const DUMMY_HASH = sha256Hex('airlock:no-such-agent');
const AGENT_COLS = 'id, name, created_at, revoked_at';

const rowToAgent = (r: Row): AgentRecord => ({
  id: String(r.id),
  name: String(r.name),
  createdAt: Number(r.created_at),
  revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
});

function parseName(name: string): string {
  const r = agentNameSchema.safeParse(name);
  if (!r.success) throw invalidParameterValue(`invalid agent name ${JSON.stringify(name)}: ${r.error.issues[0]?.message}`);
  return r.data;
}

function duplicateAgent(name: string, revoked: boolean): AirlockError {
  const why = revoked ? ' (revoked; agent names are never reused)' : '';
  return new AirlockError(`agent "${name}" already exists${why}`, SqlState.invalidParameterValue, 409);
}

export async function createAgent(db: SqlExec, name: string): Promise<{ agent: AgentRecord; token: string }> {
  const n = parseName(name);
  const existing = await db.all(`SELECT revoked_at FROM agents WHERE name = ?`, [n]);
  if (existing.length) throw duplicateAgent(n, existing[0].revoked_at != null);
  const token = `al_${randomBytes(32).toString('base64url')}`;
  const agent: AgentRecord = { id: randomUUID(), name: n, createdAt: Date.now(), revokedAt: null };
  try {
    await db.run('INSERT INTO agents (id, name, token_hash, scram_verifier, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)', [
      agent.id,
      agent.name,
      sha256Hex(token),
      makeScramVerifier(token),
      agent.createdAt,
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateAgent(n, false);
    throw err;
  }
  return { agent, token };
}

export async function authenticateAgent(db: SqlExec, name: string, token: string): Promise<AgentRecord | null> {
  const auth = typeof name === 'string' && agentNameSchema.safeParse(name).success ? await getAgentAuth(db, name) : null;
  const given = Buffer.from(sha256Hex(typeof token === 'string' ? token : ''), 'hex');
  const stored = Buffer.from(auth?.tokenHash ?? DUMMY_HASH, 'hex');
  // Compare even for unknown agents so timing does not reveal which names exist.
  const same = stored.length === given.length && timingSafeEqual(stored, given);
  return auth && same ? auth.agent : null;
}

export async function authenticateToken(db: SqlExec, token: string): Promise<AgentRecord | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 512) return null;
  // the lookup is by a hash of the token, so timing reveals nothing about valid tokens
  const rows = await db.all(`SELECT ${AGENT_COLS} FROM agents WHERE token_hash = ? AND revoked_at IS NULL`, [sha256Hex(token)]);
  return rows.length ? rowToAgent(rows[0]) : null;
}

export async function findAgentByName(db: SqlExec, name: string): Promise<AgentRecord | null> {
  const rows = await db.all(`SELECT ${AGENT_COLS} FROM agents WHERE name = ?`, [name]);
  return rows.length ? rowToAgent(rows[0]) : null;
}

export async function listAgents(db: SqlExec): Promise<AgentRecord[]> {
  return (await db.all(`SELECT ${AGENT_COLS} FROM agents ORDER BY name`)).map(rowToAgent);
}

export async function revokeAgent(db: SqlExec, name: string): Promise<AgentRecord | null> {
  await db.run('UPDATE agents SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL', [Date.now(), name]);
  return findAgentByName(db, name);
}

export async function getAgentTokenHash(db: SqlExec, name: string): Promise<string | null> {
  return (await getAgentAuth(db, name))?.tokenHash ?? null;
}

export async function getAgentAuth(db: SqlExec, name: string): Promise<AgentAuth | null> {
  const rows = await db.all(`SELECT ${AGENT_COLS}, token_hash, scram_verifier FROM agents WHERE name = ? AND revoked_at IS NULL`, [name]);
  if (!rows.length) return null;
  const r = rows[0];
  return {
    agent: rowToAgent(r),
    tokenHash: String(r.token_hash),
    scramVerifier: r.scram_verifier == null ? null : String(r.scram_verifier),
  };
}

/** Agents revoked at or after `since` (ms), for gateways that end their live sessions. */
export async function listRevokedSince(db: SqlExec, since: number): Promise<AgentRecord[]> {
  return (await db.all(`SELECT ${AGENT_COLS} FROM agents WHERE revoked_at IS NOT NULL AND revoked_at >= ?`, [Math.trunc(since)])).map(
    rowToAgent,
  );
}
