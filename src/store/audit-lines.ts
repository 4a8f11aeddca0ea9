// The text form of prepared audit events, one line each: a JSON array of the header fields, a tab,
// and the canonical data text. It is what a gateway journals and hands to its writer, and what an
// audit block stores as it came; decoding it gives back exactly the events the chain hashed.
import type { PreparedAudit } from './chain-hash.js';

type Header = [
  ts: number,
  type: string,
  agent: string | null,
  door: string | null,
  database: string | null,
  decision: string | null,
  rule: string | null,
  requestId: string | null,
  approvalId: string | null,
  tables: string | null,
];

/** One prepared event as its line (ending in \n). JSON text never holds a raw tab or newline. */
export function preparedLine(p: PreparedAudit): string {
  const b = p.body;
  const header: Header = [b.ts, b.type, b.agent, b.door, b.database, b.decision, b.rule, b.request_id, b.approval_id, p.tables];
  return `${JSON.stringify(header)}\t${p.dataText}\n`;
}

/** Decode complete lines (a trailing partial line, as a crash can leave, is ignored). */
export function decodeAuditLines(text: string): PreparedAudit[] {
  const out: PreparedAudit[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const tab = text.indexOf('\t', start);
    let h: Header | null = null;
    if (tab > start && tab < nl) {
      try {
        h = JSON.parse(text.slice(start, tab)) as Header;
      } catch {
        h = null; // a damaged line (disk corruption): skipped, and the chain says nothing false
      }
    }
    if (h) {
      out.push({
        body: {
          ts: h[0],
          type: h[1],
          agent: h[2],
          door: h[3],
          database: h[4],
          decision: h[5],
          rule: h[6],
          request_id: h[7],
          approval_id: h[8],
        },
        dataText: text.slice(tab + 1, nl),
        tables: h[9],
      });
    }
    start = nl + 1;
  }
  return out;
}

/** An event's data from its stored text; a corrupted text must still be listable (its hash will not verify). */
export function parseDataText(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { $invalid_json: text };
  }
}
