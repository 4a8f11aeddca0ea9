import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScramVerifier, parseScramVerifier } from '../../src/store/scram-verifier.js';
import { DATABASE_URL, uniqueName } from '../helpers/env.js';

// The SCRAM client of node-postgres, driven against our verifier as the server side would be.
const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[]): { clientNonce: string; response: string };
  continueSession(session: unknown, password: string, serverData: string): Promise<void>;
  finalizeSession(session: unknown, serverData: string): void;
};

describe('SCRAM verifier', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('matches byte for byte the verifier PostgreSQL itself stores for the same password and salt', async () => {
    const role = uniqueName('scram_role');
    const password = `al_${randomBytes(32).toString('base64url')}`;
    await client.query(`SET password_encryption = 'scram-sha-256'`);
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    try {
      const { rows } = await client.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
      const theirs = String(rows[0].rolpassword);
      const parsed = parseScramVerifier(theirs);
      expect(makeScramVerifier(password, parsed.salt, parsed.iterations)).toBe(theirs);
    } finally {
      await client.query(`DROP ROLE ${role}`);
    }
  });

  it('lets a real SCRAM client (node-postgres) authenticate, and refuses a wrong password', async () => {
    const token = `al_${randomBytes(32).toString('base64url')}`;
    const v = parseScramVerifier(makeScramVerifier(token));
    const exchange = async (password: string) => {
      const session = sasl.startSession(['SCRAM-SHA-256']) as { clientNonce: string; response: string };
      const clientFirstBare = session.response.slice(3); // drop gs2 header "n,,"
      const nonce = session.clientNonce + randomBytes(18).toString('base64');
      const serverFirst = `r=${nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
      await sasl.continueSession(session, password, serverFirst);
      const clientFinal = session.response;
      const withoutProof = clientFinal.slice(0, clientFinal.indexOf(',p='));
      const proof = Buffer.from(clientFinal.slice(clientFinal.indexOf(',p=') + 3), 'base64');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const clientSignature = createHmac('sha256', v.storedKey).update(authMessage).digest();
      const clientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]));
      const ok = createHash('sha256').update(clientKey).digest().equals(v.storedKey);
      if (ok) sasl.finalizeSession(session, `v=${createHmac('sha256', v.serverKey).update(authMessage).digest('base64')}`);
      return ok;
    };
    expect(await exchange(token)).toBe(true);
    expect(await exchange(token + 'x')).toBe(false);
  });

  it('produces a fresh salt each time and rejects malformed text', () => {
    const a = makeScramVerifier('same');
    const b = makeScramVerifier('same');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(makeScramVerifier('pw', Buffer.alloc(16, 1), 10)).toMatch(/^SCRAM-SHA-256\$10:AQEBAQEBAQEBAQEBAQEBAQ==\$/);
    for (const bad of ['', 'md5abc', 'SCRAM-SHA-256$x:AA==$AA==:AA==', 'SCRAM-SHA-256$4096:AA==$AA==:AA==', 'SCRAM-SHA-256$4096:!!$a:b']) {
      expect(() => parseScramVerifier(bad)).toThrow(/malformed SCRAM verifier/);
    }
    expect(() => makeScramVerifier('pw', undefined, 0)).toThrow(/iteration/);
  });
});
