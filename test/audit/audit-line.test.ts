// The journal line format: the wire proxy's fast decision encoder must give exactly the bytes the
// generic encoder gives (the chain hash is computed from them), for awkward text too.
import { describe, expect, it } from 'vitest';
import { decisionLineParts, decodeAuditLines, encodeAuditLine, encodeDecisionLine } from '../../src/audit/audit-line.js';
import { chainHash, GENESIS_HASH, preparedHash } from '../../src/store/chain-hash.js';

const AWKWARD = ['plain', 'quote " and \\ back', 'tab\tnew\nline', 'nul\u0000byte', 'lone \ud800 surrogate', 'emoji 🎉', "O'Reilly", ''];

describe('decision lines', () => {
  it('encodeDecisionLine gives the generic encoder’s bytes for every shape of input', () => {
    let n = 0;
    for (const text of AWKWARD) {
      for (const client of [undefined, 'psql', text]) {
        for (const requestId of [undefined, null, 'req-1', text]) {
          const decision = { decision: 'ask', rule: `rule ${text}`, reason: `reason ${text}` };
          const kinds = ['read', 'write'];
          const tables = ['public.Users', `s.${text}`, 'public.Users'];
          const f = {
            ts: 1_700_000_000_000 + n++,
            agent: `agent-${text}`,
            door: 'wire',
            database: `db ${text}`,
            requestId,
            client,
            sql: `SELECT '${text}'`,
          };
          const fast = encodeDecisionLine(decisionLineParts(decision, kinds, tables), f);
          const generic = encodeAuditLine({
            type: 'decision',
            ts: f.ts,
            agent: f.agent,
            door: f.door,
            database: f.database,
            decision: 'ask',
            rule: decision.rule,
            requestId: requestId ?? null,
            data: { client, kinds, reason: decision.reason, sql: f.sql, tables },
          });
          expect(fast).toBe(generic);
        }
      }
    }
  });

  it('decodes back to the prepared event the chain hashes, and ignores a torn last line', () => {
    const line = encodeAuditLine({ type: 'request', ts: 5, agent: 'a', data: { sql: 'SELECT 1', password: 'secret' } });
    const [p] = decodeAuditLines(line + line.slice(0, 20));
    expect(p.body).toMatchObject({ ts: 5, type: 'request', agent: 'a' });
    expect(JSON.parse(p.dataText)).toEqual({ sql: 'SELECT 1' }); // the secret-named key never reached the line
    const body = { ...p.body, data: JSON.parse(p.dataText) as Record<string, unknown> };
    expect(preparedHash(GENESIS_HASH, p)).toBe(chainHash(GENESIS_HASH, body));
    expect(decodeAuditLines('garbage\tline\n' + line)).toHaveLength(1);
  });
});
