// The journal line format: the wire proxy's fast decision encoder must give exactly the bytes the
// generic encoder gives (the chain hash is computed from them), for awkward text too.
import { describe, expect, it } from 'vitest';
import { decisionLineParts, decodeAuditLines, encodeAuditLine, encodeDecisionLine } from '../../src/audit/audit-line.js';
import { chainHash, GENESIS_HASH, preparedHash } from '../../src/store/chain-hash.js';
import type { AuditInput } from '../../src/domain/audit.js';

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

describe('reading headers', () => {
  // strings that are their own JSON text (the fast path) and ones that are not (escapes, control
  // characters, surrogates: JSON.parse reads those); ts values that are canonical integers and not
  const TEXTS = [...AWKWARD, 'plain-agent', 'a,b]', '[x', 'null', 'é', '\u007f', '\u2028'];
  const TS = [0, 5, -7, 1_700_000_000_000, Number.MAX_SAFE_INTEGER, 1.5, -0, 1e21];

  it('every header decodes to what JSON.parse reads, and hashes to what the verifier computes from the values', () => {
    let fast = 0;
    let prev = GENESIS_HASH;
    for (let i = 0; i < 4000; i++) {
      const pick = (k: number): string | null => (k % 5 === 0 ? null : TEXTS[(k * 7 + i) % TEXTS.length]);
      const ts = TS[i % TS.length];
      // any text in any field, as a store from another version may hold: the types do not limit the codec
      const line = encodeAuditLine({
        type: (pick(i + 1) ?? 'query') as AuditInput['type'],
        ts,
        agent: pick(i),
        door: pick(i + 2),
        database: pick(i + 3),
        decision: pick(i + 4) as AuditInput['decision'],
        rule: pick(i * 3),
        requestId: pick(i * 5 + 1),
        approvalId: pick(i * 11 + 2),
        data: { sql: `SELECT ${i}`, tables: i % 2 ? [pick(i + 6) ?? 't'] : [] },
      });
      const [p] = decodeAuditLines(line, true);
      const header = JSON.parse(line.slice(0, line.indexOf('\t'))) as unknown[];
      expect(p.body).toEqual({
        ts: header[0],
        type: header[1],
        agent: header[2],
        door: header[3],
        database: header[4],
        decision: header[5],
        rule: header[6],
        request_id: header[7],
        approval_id: header[8],
      });
      expect(p.tables).toBe(header[9]);
      if (p.around) fast++;
      const hash = preparedHash(prev, p);
      expect(hash).toBe(chainHash(prev, { ...p.body, data: JSON.parse(p.dataText) as Record<string, unknown> }));
      expect(hash).toBe(preparedHash(prev, { ...p, around: undefined }));
      prev = hash;
    }
    // both paths were taken
    expect(fast).toBeGreaterThan(100);
    expect(fast).toBeLessThan(4000);
  });

  it('a header that is not exactly ten values is read by JSON.parse or skipped, never misread', () => {
    const lines = [
      '[1,"d",null,null,null,null,null,null,null,null,null]\t{}\n', // eleven values
      '[1, "d",null,null,null,null,null,null,null,null]\t{}\n', // whitespace
      '[1,"d",null,null,null,null,null,null,null]\t{}\n', // nine
      '[1,"d","x\u0001",null,null,null,null,null,null,null]\t{}\n', // a raw control character: not JSON
    ];
    for (const line of lines) {
      const got = decodeAuditLines(line, true);
      let parsed: unknown[] | null;
      try {
        parsed = JSON.parse(line.slice(0, line.indexOf('\t'))) as unknown[];
      } catch {
        parsed = null;
      }
      expect(got.length).toBe(parsed ? 1 : 0);
      if (got[0]) {
        expect(got[0].around).toBeUndefined();
        expect(got[0].body.ts).toBe(parsed![0]);
      }
    }
  });
});
