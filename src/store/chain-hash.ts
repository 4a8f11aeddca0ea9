// The audit hash chain's arithmetic, shared by the writers (store adapters) and the verifier,
// so that both sides compute exactly the same bytes.
import { createHash } from 'node:crypto';
import type { AuditBody } from './store.js';

/** prev_hash of the first event */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted recursively and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      const v = value as { toJSON?: () => unknown };
      if (typeof v.toJSON === 'function') return canonicalJson(v.toJSON());
      if (Array.isArray(value)) {
        return `[${value.map((x) => (x === undefined || typeof x === 'function' ? 'null' : canonicalJson(x))).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(obj).sort()) {
        const x = obj[key];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        parts.push(`${JSON.stringify(key)}:${canonicalJson(x)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** The hashed fields of an event, always all ten, absent ones as null. */
export function auditBodyOf(e: AuditBody): AuditBody {
  return {
    ts: e.ts,
    type: e.type,
    agent: e.agent ?? null,
    door: e.door ?? null,
    database: e.database ?? null,
    decision: e.decision ?? null,
    rule: e.rule ?? null,
    request_id: e.request_id ?? null,
    approval_id: e.approval_id ?? null,
    data: e.data === undefined ? {} : e.data,
  };
}

const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const cleanText = (s: string | null | undefined): string | null =>
  s === null || s === undefined ? null : String(s).replace(BAD_TEXT, '\uFFFD');

/** The body exactly as it will read back from either database (text columns cannot hold NUL or lone surrogates). */
export function normalizeAuditBody(e: AuditBody): AuditBody {
  const ts = Number(e.ts);
  return {
    ts: Number.isFinite(ts) ? Math.trunc(ts) : Date.now(),
    type: cleanText(e.type) ?? 'unknown',
    agent: cleanText(e.agent),
    door: cleanText(e.door),
    database: cleanText(e.database),
    decision: cleanText(e.decision),
    rule: cleanText(e.rule),
    request_id: cleanText(e.request_id),
    approval_id: cleanText(e.approval_id),
    data: jsonSafe(e.data),
  };
}

/** hash = sha256 hex over prev_hash followed by the canonical JSON of the event body. */
export function chainHash(prevHash: string, body: AuditBody): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(auditBodyOf(body))).digest('hex');
}

/** Normalize data the way a JSON round trip through the store would, so the hash survives it. */
export function jsonSafe(data: unknown): Record<string, unknown> {
  if (data === undefined || data === null) return {};
  const text = JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const parsed = text === undefined ? {} : (JSON.parse(text) as unknown);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { value: parsed };
  return parsed as Record<string, unknown>;
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
