// Is this request from Slack? Slack signs `v0:<timestamp>:<raw body>` with the app's signing secret
// (HMAC-SHA256, header X-Slack-Signature: v0=<hex>) and sends the timestamp in
// X-Slack-Request-Timestamp. A request older (or further ahead) than maxAge is refused, and so is
// a second delivery of the same signature within that time: a captured click cannot be replayed.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export type SlackVerdict = { ok: true } | { ok: false; reason: string };

/** `v0=<hex>` for a body at a timestamp (what Slack sends; tests sign with it too). */
export function slackSignature(secret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`;
}

export class SlackVerifier {
  private readonly seen: LRUCache<string, true>;

  constructor(
    private readonly secret: string,
    private readonly maxAgeSeconds = 300,
  ) {
    this.seen = new LRUCache({ max: 10_000, ttl: maxAgeSeconds * 2 * 1000 });
  }

  /** Check the headers against the exact bytes received; `now` in ms. */
  verify(headers: { timestamp?: string | string[]; signature?: string | string[] }, rawBody: string, now = Date.now()): SlackVerdict {
    const ts = typeof headers.timestamp === 'string' ? headers.timestamp : '';
    const sig = typeof headers.signature === 'string' ? headers.signature : '';
    if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp' };
    if (!/^v0=[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: 'missing or malformed X-Slack-Signature' };
    const age = Math.abs(now / 1000 - Number(ts));
    if (age > this.maxAgeSeconds)
      return { ok: false, reason: `request timestamp is ${Math.round(age)} s away from now (limit ${this.maxAgeSeconds} s)` };
    const expected = Buffer.from(slackSignature(this.secret, ts, rawBody));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature does not match' };
    if (this.seen.has(sig)) return { ok: false, reason: 'replayed request (this signature was already used)' };
    this.seen.set(sig, true);
    return { ok: true };
  }
}
