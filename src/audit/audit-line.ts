// One audit event as one line of text: what the request thread writes to its journal (and hands to
// the writer), and what the writer turns back into the prepared row it hashes and stores. The line
// already holds the redacted, canonical data text, so the writer never serializes data again.
import { cleanText, prepareAudit, tablesOf, type PreparedAudit } from '../store/chain-hash.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { preparedLine } from '../store/audit-lines.js';
import type { AuditBody } from '../domain/audit.js';
import { toAuditBody } from './events.js';
import { type AuditInput } from '../domain/audit.js';
import { SECRET_KEY } from './redact.js';

export { decodeAuditLines } from '../store/audit-lines.js';

/** Plain values and arrays of them: nothing that redact() would copy or drop. */
function isPlain(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object':
      if (v === null) return true;
      if (!Array.isArray(v)) return false;
      for (const x of v)
        if (typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x))) return false;
      return true;
    default:
      return false;
  }
}

/** The event's body; data is taken as is when a shallow look proves redact() would not change it. */
function bodyOf(input: AuditInput, now: number): AuditBody {
  const data = input.data;
  if (data && Object.getPrototypeOf(data) === Object.prototype) {
    let clean = true;
    for (const k in data) {
      if (SECRET_KEY.test(k) || !isPlain(data[k])) {
        clean = false;
        break;
      }
    }
    if (clean) {
      return toAuditBody({ ...input, data: undefined }, now, data);
    }
  }
  return toAuditBody(input, now);
}

/** Encode one event (redacted, stamped now when it has no time) as one journal line ending in \n. */
export function encodeAuditLine(input: AuditInput, now = Date.now()): string {
  let p: PreparedAudit;
  try {
    p = prepareAudit(bodyOf(input, now));
  } catch (err) {
    // A caller bug must not break the request it is auditing; record that something was lost.
    p = prepareAudit(
      toAuditBody({ type: 'error', data: { message: 'unauditable event', cause: String(err), eventType: String(input?.type) } }, now),
    );
  }
  return preparedLine(p);
}

/** The parts of a decision event that are the same every time a (cached) decision is audited. */
export interface DecisionLineParts {
  tier: string;
  rule: string;
  /** JSON texts of data.kinds, data.reason, data.tables */
  kinds: string;
  reason: string;
  tables: string;
  /** the tables column (filter index) */
  tablesColumn: string;
}

const jsonText = (s: string | null | undefined) => (s === null || s === undefined ? 'null' : JSON.stringify(cleanText(s)));

/** JSON texts of the names every line of a connection repeats (agent, door, database), memoised. */
const nameTexts = new Map<string, string>();
function nameText(s: string): string {
  let t = nameTexts.get(s);
  if (t === undefined) {
    if (nameTexts.size >= 4096) nameTexts.clear();
    t = jsonText(s);
    nameTexts.set(s, t);
  }
  return t;
}

/** Precompute a decision's constant parts (memoize per Decision: cached decisions repeat). */
export function decisionLineParts(
  d: { decision: string; rule: string; reason: string },
  kinds: string[],
  tables: string[],
): DecisionLineParts {
  return {
    tier: jsonText(d.decision),
    rule: jsonText(d.rule),
    kinds: canonicalJson(kinds),
    reason: canonicalJson(d.reason),
    tables: canonicalJson(tables),
    tablesColumn: jsonText(tablesOf({ tables })),
  };
}

/**
 * The hot path of the wire proxy: one decision event as a line, byte for byte what encodeAuditLine
 * gives for `{type: 'decision', …, data: {client, kinds, reason, sql, tables}}`, at a fraction of the cost.
 */
export function encodeDecisionLine(
  p: DecisionLineParts,
  f: { ts: number; agent: string; door: string; database: string; requestId?: string | null; client?: string; sql: string | null },
): string {
  const header = `[${f.ts},"decision",${nameText(f.agent)},${nameText(f.door)},${nameText(f.database)},${p.tier},${p.rule},${jsonText(f.requestId)},null,${p.tablesColumn}]`;
  const client = f.client === undefined ? '' : `"client":${JSON.stringify(f.client)},`;
  return `${header}\t{${client}"kinds":${p.kinds},"reason":${p.reason},"sql":${f.sql === null ? 'null' : JSON.stringify(f.sql)},"tables":${p.tables}}\n`;
}
