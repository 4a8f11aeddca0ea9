// Email notices over real SMTP (nodemailer to a local SMTP sink): one plain-text mail per new
// approval with the change, the risk and the review link; a second vote sends nothing new.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

let sink: SmtpSink;
let server: ConsoleServer;

beforeAll(async () => {
  sink = await startSmtpSink();
  server = await startConsoleServer({
    accounts: [{ name: 'rita' }],
    approvals: { thresholds: [{ table: 'invoices', dualApprovalAboveRows: 0 }] },
    extra: { email: { url: `smtp://127.0.0.1:${sink.port}`, from: 'airlock@example.test', to: ['dba@example.test', 'ops@example.test'] } },
  });
});
afterAll(async () => {
  await server?.close();
  await sink?.close();
});

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('email notices', () => {
  it('mails the reviewers once per new approval, with the change and the review link', async () => {
    const gw = server.running.gateway;
    const agent = (await gw.listAgents()).find((a) => a.name === server.agent.name)!;
    const out = await gw.query({
      agent: { id: agent.id, name: agent.name },
      door: 'mcp',
      database: server.database,
      sql: "UPDATE invoices SET status = 'void' WHERE id = 104",
    });
    if (out.status !== 'pending') throw new Error('expected pending');
    const mail = await until('a mail', () => sink.mails.find((m) => m.data.includes(out.approvalId)));
    expect(mail.from).toBe('airlock@example.test');
    expect(mail.to).toEqual(['dba@example.test', 'ops@example.test']);
    const unfolded = mail.data.replace(/\r\n[ \t]/g, ' ');
    expect(unfolded).toMatch(
      new RegExp(`Subject: \\[Airlock\\] Approval needed: ${agent.name} on ${server.database} \\(1 row\\(s\\), low risk\\)`),
    );
    expect(unfolded).toMatch(/Content-Type: text\/plain/);
    const raw = mail.data.split('\r\n\r\n').slice(1).join('\n');
    // nodemailer picks quoted-printable for long lines: read the body as a mail client would
    const body = /Content-Transfer-Encoding: quoted-printable/i.test(unfolded)
      ? raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      : raw;
    expect(body).toContain("UPDATE invoices SET status = 'void' WHERE id = 104");
    expect(body).toContain('status: open -> void');
    expect(body).toContain(`${server.base}/approvals/${out.approvalId}`);

    await gw.approve(out.approvalId, 'rita'); // one of two votes: still pending, no new mail
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.mails.filter((m) => m.data.includes(out.approvalId)).length).toBe(1);
  });
});
