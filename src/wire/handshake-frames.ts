// The frames and verifiers the handshake answers with: NegotiateProtocolVersion, the burst that
// ends a successful login, and the SCRAM verifier to check (a fake one for unknown agents, so a
// name cannot be probed: unknown and known agents go through the same exchange).
import { createHash } from 'node:crypto';
import {
  authOk,
  backendKeyData,
  frame,
  makeVerifier,
  parameterStatus,
  parseVerifier,
  rfqFor,
  type ScramVerifier,
} from '../../protocol/index.js';
import type { Agent } from '../domain/request.js';

/** Per-name fake verifier: the same exchange for unknown agents as for known ones (no enumeration). */
const fakeVerifier = (name: string): ScramVerifier =>
  parseVerifier(
    makeVerifier(
      createHash('sha256')
        .update('airlock-unknown:' + name)
        .digest('hex'),
      4096,
      createHash('md5').update(name).digest(),
    ),
  )!;

/** The agent (null when unknown, revoked or without a usable verifier) and the verifier to run SCRAM against. */
export function verifierFor(
  user: string,
  found: { agent: Agent; scramVerifier: string } | null,
): { agent: Agent | null; verifier: ScramVerifier } {
  const real = found ? parseVerifier(found.scramVerifier) : null;
  return real ? { agent: found!.agent, verifier: real } : { agent: null, verifier: fakeVerifier(user) };
}

/** NegotiateProtocolVersion: we speak 3.0 and none of the `_pq_.` options. */
export function negotiateProtocolVersion(options: string[]): Buffer {
  const parts = [Buffer.from([0, 3, 0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(options.length);
  for (const o of options) parts.push(Buffer.from(o + '\0'));
  return frame(0x76, Buffer.concat(parts));
}

/** AuthenticationOk, the server's ParameterStatus (with the client's own application_name), BackendKeyData, ReadyForQuery. */
export function readyFrames(
  status: Map<string, string>,
  applicationName: string | undefined,
  key: { pid: number; secret: number },
): Buffer {
  const out: Buffer[] = [authOk];
  for (const [name, value] of status) out.push(parameterStatus(name, name === 'application_name' ? (applicationName ?? '') : value));
  out.push(backendKeyData(key.pid, key.secret), rfqFor(0x49));
  return Buffer.concat(out);
}
