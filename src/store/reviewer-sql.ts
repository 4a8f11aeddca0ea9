// Reviewer accounts and their console sessions in portable SQL (both dialects), and the cheap
// "which approvals changed since" query that lets the console follow every process's decisions.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AirlockError, SqlState, invalidParameterValue } from '../errors.js';
import type { ApprovalStatus } from '../domain/approval.js';
import { dummyHash, hashPassword, verifyPassword } from './password-hash.js';
import { isUniqueViolation, type Row, type SqlExec } from './sql-driver.js';
import type { SessionTimes } from './store.js';
import type { ApprovalChange } from '../domain/approval.js';
import type { ReviewerRecord, ReviewerSession } from '../domain/reviewer.js';

export const reviewerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/, 'reviewer name: 1-63 letters, digits, _ . @ - (starting with a letter or digit)');

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const COLS = 'name, admin, created_at';

const rowToReviewer = (r: Row): ReviewerRecord => ({
  name: String(r.name),
  admin: Number(r.admin) === 1,
  createdAt: Number(r.created_at),
});

function parseReviewerName(name: unknown): string {
  const r = reviewerNameSchema.safeParse(name);
  if (!r.success) throw invalidParameterValue(`invalid reviewer name ${JSON.stringify(name)}: ${r.error.issues[0]?.message}`);
  return r.data;
}

export async function createReviewer(db: SqlExec, name: string, password: string, admin: boolean): Promise<ReviewerRecord> {
  const n = parseReviewerName(name);
  const hash = await hashPassword(password);
  const now = Date.now();
  try {
    await db.run('INSERT INTO reviewers (name, password_hash, admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
      n,
      hash,
      admin ? 1 : 0,
      now,
      now,
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AirlockError(`reviewer "${n}" already exists`, SqlState.invalidParameterValue, 409);
    throw err;
  }
  return { name: n, admin, createdAt: now };
}

/** The account when the password matches; null otherwise, after the same work as a real check. */
export async function checkReviewerPassword(db: SqlExec, name: string, password: string): Promise<ReviewerRecord | null> {
  const ok = typeof name === 'string' && reviewerNameSchema.safeParse(name).success;
  const rows = ok ? await db.all(`SELECT ${COLS}, password_hash FROM reviewers WHERE name = ?`, [name]) : [];
  const stored = rows.length ? String(rows[0].password_hash) : await dummyHash();
  const same = await verifyPassword(typeof password === 'string' ? password : '', stored);
  return rows.length && same ? rowToReviewer(rows[0]) : null;
}

export async function listReviewers(db: SqlExec): Promise<ReviewerRecord[]> {
  return (await db.all(`SELECT ${COLS} FROM reviewers ORDER BY name`)).map(rowToReviewer);
}

/** Remove the account and end its sessions; null when there is no such reviewer. */
export async function removeReviewer(db: SqlExec, name: string): Promise<ReviewerRecord | null> {
  const rows = await db.all(`SELECT ${COLS} FROM reviewers WHERE name = ?`, [name]);
  if (!rows.length) return null;
  await db.run('DELETE FROM reviewer_sessions WHERE reviewer = ?', [name]);
  await db.run('DELETE FROM reviewers WHERE name = ?', [name]);
  return rowToReviewer(rows[0]);
}

/** A new session: the cookie value is returned once; only its sha256 is stored. */
export async function createSession(
  db: SqlExec,
  reviewer: ReviewerRecord,
  times: SessionTimes,
): Promise<{ token: string; session: ReviewerSession }> {
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  const session: ReviewerSession = {
    reviewer: reviewer.name,
    admin: reviewer.admin,
    csrf: randomBytes(24).toString('base64url'),
    createdAt: now,
    expiresAt: Math.min(now + times.idleMs, now + times.maxMs),
  };
  await db.run(
    'INSERT INTO reviewer_sessions (id_hash, reviewer, csrf, created_at, last_seen, expires_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [sha256Hex(token), reviewer.name, session.csrf, now, now, session.expiresAt, now + times.maxMs],
  );
  return { token, session };
}

/** The live session for a cookie value, its idle deadline moved on; null when unknown or expired. */
export async function getSession(db: SqlExec, token: string, idleMs: number): Promise<ReviewerSession | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 200) return null;
  const id = sha256Hex(token);
  const rows = await db.all(
    `SELECT s.reviewer, s.csrf, s.created_at, s.last_seen, s.expires_at, s.ends_at, r.admin
       FROM reviewer_sessions s JOIN reviewers r ON r.name = s.reviewer WHERE s.id_hash = ?`,
    [id],
  );
  if (!rows.length) return null;
  const r = rows[0];
  const now = Date.now();
  if (Number(r.expires_at) <= now || Number(r.ends_at) <= now) {
    await db.run('DELETE FROM reviewer_sessions WHERE id_hash = ?', [id]);
    return null;
  }
  let expiresAt = Number(r.expires_at);
  // write at most every few seconds: a page load makes several requests
  if (now - Number(r.last_seen) > 5000) {
    expiresAt = Math.min(now + idleMs, Number(r.ends_at));
    await db.run('UPDATE reviewer_sessions SET last_seen = ?, expires_at = ? WHERE id_hash = ?', [now, expiresAt, id]);
  }
  return { reviewer: String(r.reviewer), admin: Number(r.admin) === 1, csrf: String(r.csrf), createdAt: Number(r.created_at), expiresAt };
}

export async function deleteSession(db: SqlExec, token: string): Promise<void> {
  if (typeof token === 'string' && token.length > 0 && token.length <= 200) {
    await db.run('DELETE FROM reviewer_sessions WHERE id_hash = ?', [sha256Hex(token)]);
  }
  await db.run('DELETE FROM reviewer_sessions WHERE expires_at <= ? OR ends_at <= ?', [Date.now(), Date.now()]);
}

/** Approvals whose row changed at or after `since` (ms), oldest change first. */
export async function listApprovalChanges(db: SqlExec, since: number, limit = 500): Promise<ApprovalChange[]> {
  const rows = await db.all(
    `SELECT id, status, version, updated_at FROM approvals WHERE updated_at >= ? ORDER BY updated_at, id LIMIT ${Math.trunc(limit)}`,
    [Math.trunc(since)],
  );
  return rows.map((r) => ({
    id: String(r.id),
    status: String(r.status) as ApprovalStatus,
    version: Number(r.version),
    updatedAt: Number(r.updated_at),
  }));
}
