// Codec unit tests: framing across arbitrary chunk splits, size limits, decoders, SCRAM both sides.
import { describe, expect, it } from 'vitest';
import { serialize } from 'pg-protocol';
import {
  FrameError,
  FrameReader,
  ScramClient,
  decodeBind,
  decodeParse,
  decodeQuery,
  decodeStartup,
  queryTextIsUtf8,
  makeVerifier,
  parseVerifier,
  serverFinal,
  serverFirst,
  startupMessage,
  DecodeError,
} from '../../protocol/index.js';
import { makeScramVerifier } from '../../src/store/scram-verifier.js';

const frames = (r: FrameReader, chunks: Buffer[]) => {
  const out: { type: number; bytes: Buffer }[] = [];
  for (const c of chunks) r.feed(c, (type, buf, s, e) => out.push({ type, bytes: Buffer.from(buf.subarray(s, e)) }));
  return out;
};

describe('FrameReader', () => {
  const msgs = [
    serialize.query('select 1'),
    serialize.parse({ name: 's', text: 'select $1', types: [23] }),
    serialize.bind({ values: ['x', null] }),
    serialize.sync(),
  ];
  const stream = Buffer.concat(msgs);

  it('splits a stream into the same frames whatever the chunking', () => {
    for (let size = 1; size <= stream.length; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const got = frames(new FrameReader(1 << 20), chunks);
      expect(got.map((f) => f.bytes)).toEqual(msgs.map((m) => Buffer.from(m)));
      expect(got.map((f) => String.fromCharCode(f.type))).toEqual(['Q', 'P', 'B', 'S']);
    }
  });

  it('rejects a claimed 1 GB message before buffering it', () => {
    const bad = Buffer.from([0x51, 0x40, 0, 0, 0]);
    expect(() => frames(new FrameReader(1 << 20), [bad])).toThrow(FrameError);
  });

  it('rejects lengths below 4 and oversized startup packets', () => {
    expect(() => frames(new FrameReader(1 << 20), [Buffer.from([0x51, 0, 0, 0, 2])])).toThrow(/invalid message length/);
    const r = new FrameReader(1 << 20, true);
    expect(() => frames(r, [Buffer.from([0, 0x10, 0, 0, 0, 3, 0, 0])])).toThrow(/too large/);
  });

  it('reads startup packets in untyped mode and decodes them', () => {
    const pkt = startupMessage({ user: 'agent', database: 'db', application_name: 'x' });
    const got = frames(new FrameReader(1 << 20, true), [pkt.subarray(0, 3), pkt.subarray(3)]);
    expect(got).toHaveLength(1);
    const m = decodeStartup(got[0].bytes, 0, got[0].bytes.length);
    expect(m.protocol).toBe(196608);
    expect(m.params).toMatchObject({ user: 'agent', database: 'db', application_name: 'x' });
  });
});

describe('decoders', () => {
  it('decode Query, Parse and Bind, and refuse truncated ones', () => {
    const q = serialize.query('select 1');
    expect(decodeQuery(q, 0, q.length)).toBe('select 1');
    const p = serialize.parse({ name: 'n', text: 'select $1', types: [25] });
    expect(decodeParse(p, 0, p.length)).toEqual({ name: 'n', sql: 'select $1', paramTypes: [25], utf8: true });
    const b = serialize.bind({ portal: 'p', statement: 'n', values: ['a', null] });
    const bind = decodeBind(b, 0, b.length);
    expect(bind.params).toEqual(['a', null]);
    expect(bind.statement).toBe('n');
    expect(() => decodeParse(p, 0, p.length - 3)).toThrow(DecodeError);
    expect(() => decodeBind(b, 0, b.length - 2)).toThrow(DecodeError);
  });
});

describe('SCRAM', () => {
  it('accepts the right token against both verifier makers and refuses a wrong one', () => {
    for (const verifierText of [makeVerifier('s3cret'), makeScramVerifier('s3cret')]) {
      const v = parseVerifier(verifierText)!;
      const client = new ScramClient('s3cret');
      const st = serverFirst(client.clientFirst, v);
      const final = serverFinal(client.final(st.serverFirst), st, v);
      expect(final).toMatch(/^v=/);
      client.verify(final!);
      const wrong = new ScramClient('nope');
      const st2 = serverFirst(wrong.clientFirst, v);
      expect(serverFinal(wrong.final(st2.serverFirst), st2, v)).toBeNull();
    }
  });

  it('tell valid UTF-8 from bad bytes, which decode to U+FFFD, and keep a U+FFFD sent as such', () => {
    const frame = (type: string, body: Buffer) => {
      const head = Buffer.alloc(5);
      head.write(type, 0, 'latin1');
      head.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([head, body]);
    };
    const cases: [number[], boolean][] = [
      [[0xef, 0xbf, 0xbd], true], // U+FFFD itself
      [[0xc3, 0xa9], true], // é
      [[0xf0, 0x9f, 0x98, 0x80], true], // an emoji, four bytes
      [[0xc0, 0x80], false], // overlong NUL
      [[0xe0, 0x80, 0x80], false], // overlong
      [[0xed, 0xa0, 0x80], false], // a surrogate
      [[0xf4, 0x90, 0x80, 0x80], false], // past U+10FFFF
      [[0xf5], false],
      [[0xe2, 0x82], false], // cut short
      [[0xef, 0xbf, 0xbd, 0xff], false], // U+FFFD, then a bad byte
    ];
    for (const [bytes, valid] of cases) {
      const text = Buffer.concat([Buffer.from("select '"), Buffer.from(bytes), Buffer.from("'\0")]);
      const q = frame('Q', text);
      expect(queryTextIsUtf8(decodeQuery(q, 0, q.length), q, 0, q.length), bytes.join(' ')).toBe(valid);
      const p = frame('P', Buffer.concat([Buffer.from('s\0'), text, Buffer.from([0, 0])]));
      expect(decodeParse(p, 0, p.length).utf8, bytes.join(' ')).toBe(valid);
      const named = frame('P', Buffer.concat([Buffer.from(bytes), Buffer.from('\0select 1\0'), Buffer.from([0, 0])]));
      expect(decodeParse(named, 0, named.length).utf8, `name ${bytes.join(' ')}`).toBe(valid);
    }
  });
});
