// The audit hash chain's arithmetic, shared by the writers (store adapters) and the verifier,
// so that both sides compute exactly the same bytes.
import * as crypto from 'node:crypto';
import type { AuditBody } from '../domain/audit.js';
import { canonicalJson } from '../domain/canonical-json.js';

/** prev_hash of the first event */
export const GENESIS_HASH = '0'.repeat(64);

const text = (s: string | null) => (s === null ? 'null' : JSON.stringify(s));

/** The JSON texts of the nine hashed fields besides data. */
export interface BodyFieldTexts {
  agent: string;
  approvalId: string;
  database: string;
  decision: string;
  door: string;
  requestId: string;
  rule: string;
  ts: string;
  type: string;
}

/**
 * The canonical body before and after its data text: canonicalJson of the ten hashed fields, keys in
 * sorted order (agent, approval_id, data, database, decision, door, request_id, rule, ts, type).
 */
export function bodyAround(t: BodyFieldTexts): [string, string] {
  return [
    `{"agent":${t.agent},"approval_id":${t.approvalId},"data":`,
    `,"database":${t.database},"decision":${t.decision},"door":${t.door},"request_id":${t.requestId},"rule":${t.rule},"ts":${t.ts},"type":${t.type}}`,
  ];
}

/** canonicalJson of the ten hashed fields, with data given as its canonical text. */
function bodyText(e: AuditBody, dataText: string): string {
  const [before, after] = bodyAround({
    agent: text(e.agent ?? null),
    approvalId: text(e.approval_id ?? null),
    database: text(e.database ?? null),
    decision: text(e.decision ?? null),
    door: text(e.door ?? null),
    requestId: text(e.request_id ?? null),
    rule: text(e.rule ?? null),
    ts: canonicalJson(e.ts),
    type: text(e.type),
  });
  return before + dataText + after;
}

/** one-shot crypto.hash where Node has it (>= 20.12): half the cost of a Hash object per event */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
const sha256 = oneShot
  ? (prevHash: string, body: string) => oneShot('sha256', prevHash + body, 'hex')
  : (prevHash: string, body: string) => crypto.createHash('sha256').update(prevHash).update(body).digest('hex');

/** hash = sha256 hex over prev_hash followed by the canonical JSON of the ten body fields. */
export function chainHash(prevHash: string, body: AuditBody): string {
  return sha256(prevHash, bodyText(body, canonicalJson(body.data === undefined ? {} : body.data)));
}

/** Past this size an event's data is replaced by a note, so one huge event cannot stall the log. */
export const MAX_DATA_BYTES = 256 * 1024;

const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MAYBE_BAD = /[\u0000\uD800-\uDFFF]/;
/** Text a column can hold in both databases: NUL and lone surrogates become U+FFFD. */
export const cleanText = (s: string | null | undefined): string | null => {
  if (s === null || s === undefined) return null;
  const t = String(s);
  return MAYBE_BAD.test(t) ? t.replace(BAD_TEXT, '\uFFFD') : t;
};

export interface PreparedAudit {
  /** the body as it will read back (data excluded: see dataText) */
  body: Omit<AuditBody, 'data'>;
  /** canonical JSON of data: stored as is, and hashed as is */
  dataText: string;
  /** the tables column (filter index), derived from data */
  tables: string | null;
  /** the hashed body text before and after dataText, when the line it was decoded from already held it */
  around?: readonly [string, string];
}

/**
 * Fix an event into exactly what either database will give back: text columns cannot hold NUL
 * or lone surrogates, data must be a JSON object (canonical text, size-capped).
 */
export function prepareAudit(e: AuditBody): PreparedAudit {
  const ts = Number(e.ts);
  let data: unknown = e.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data) || typeof (data as { toJSON?: unknown }).toJSON === 'function') {
    data = { value: data };
  }
  let dataText = canonicalJson(data);
  if (dataText.length > MAX_DATA_BYTES) {
    dataText = canonicalJson({ $truncated: true, bytes: dataText.length, keys: Object.keys(data as object).slice(0, 50) });
  }
  return {
    body: {
      ts: Number.isFinite(ts) ? Math.trunc(ts) : Date.now(),
      type: cleanText(e.type) ?? 'unknown',
      agent: cleanText(e.agent),
      door: cleanText(e.door),
      database: cleanText(e.database),
      decision: cleanText(e.decision),
      rule: cleanText(e.rule),
      request_id: cleanText(e.request_id),
      approval_id: cleanText(e.approval_id),
    },
    dataText,
    tables: cleanText(tablesOf(data as Record<string, unknown>)),
  };
}

/** The chain hash of a prepared event (no second serialization of data). */
export function preparedHash(prevHash: string, p: PreparedAudit): string {
  if (p.around) return sha256(prevHash, p.around[0] + p.dataText + p.around[1]);
  return sha256(prevHash, bodyText(p.body as AuditBody, p.dataText));
}

const tableName = (t: unknown): string | null => {
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object') {
    const o = t as { schema?: unknown; name?: unknown };
    if (typeof o.name === 'string') return typeof o.schema === 'string' && o.schema ? `${o.schema}.${o.name}` : o.name;
  }
  return null;
};

/** The tables an event names (data.tables, tablesRead/Written, decision.statements), for filtering. */
export function tablesOf(data: Record<string, unknown>): string | null {
  const found = new Set<string>();
  const addAll = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const t of list) {
      const n = tableName(t);
      if (n) found.add(n.toLowerCase());
    }
  };
  const fromHolder = (h: unknown) => {
    if (!h || typeof h !== 'object') return;
    const o = h as Record<string, unknown>;
    addAll(o.tables);
    addAll(o.tablesRead);
    addAll(o.tablesWritten);
    if (Array.isArray(o.statements)) for (const s of o.statements) fromHolder(s);
  };
  fromHolder(data);
  fromHolder(data.decision);
  return found.size ? `,${[...found].join(',')},` : null;
}
