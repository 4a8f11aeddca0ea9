// A small WireGateway for the wire tests until src/gateway.ts lands: the real policy engine, real
// agents in a temp SQLite store, and an in-memory approval list whose approvals execute on the
// real PostgreSQL (read-write) with a one-time grant per binding.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { PolicyEngine, initPolicy } from '../../../src/policy/index.js';
import { openStore } from '../../../src/store/open.js';
import type { Store } from '../../../src/store/store.js';
import type { WireGateway } from '../../../src/wire/port.js';
import type { GatewayOutcome, GatewayRequest } from '../../../src/gateway-types.js';
import type { Decision } from '../../../src/policy/types.js';
import { AirlockError, insufficientPrivilege, queryCanceled } from '../../../src/errors.js';
import { DATABASE_URL } from '../../helpers/env.js';

interface TestApproval {
  id: string;
  binding: string;
  req: GatewayRequest;
  decision: Decision;
  status: 'pending' | 'executed' | 'denied' | 'failed';
  outcome?: GatewayOutcome;
  consumed: boolean;
}

export interface TestGateway extends WireGateway {
  store: Store;
  approvals: Map<string, TestApproval>;
  audit: { type: string; [k: string]: unknown }[];
  decisions: number;
  /** approve: runs the statement read-write on the upstream and records the result */
  approve(id: string): Promise<void>;
  deny(id: string, reason: string): void;
  /** resolves with the next approval created */
  nextApproval(): Promise<TestApproval>;
  close(): Promise<void>;
}

const binding = (r: GatewayRequest) => createHash('sha256').update(JSON.stringify([r.agent.name, r.database, r.sql, r.params ?? []])).digest('hex');

export async function createTestGateway(opts: { database?: string; statementTimeoutMs?: number } = {}): Promise<TestGateway> {
  await initPolicy();
  const dir = mkdtempSync(join(tmpdir(), 'airlock-wire-'));
  const store = await openStore(`sqlite:${join(dir, 'store.sqlite')}`);
  const engine = new PolicyEngine({});
  const url = new URL(DATABASE_URL);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const approvals = new Map<string, TestApproval>();
  const audit: TestGateway['audit'] = [];

  const gw: TestGateway = {
    store,
    approvals,
    audit,
    decisions: 0,
    async agentAuth(name) {
      const a = await store.getAgentAuth(name);
      if (!a || !a.scramVerifier) return null;
      return { agent: { id: a.agent.id, name: a.agent.name }, scramVerifier: a.scramVerifier, tokenHash: a.tokenHash };
    },
    auditConnection(e) {
      audit.push({ type: 'connection', ...e });
    },
    decide(req) {
      gw.decisions++;
      return engine.decide(req.sql, { agent: req.agent.name, database: req.database });
    },
    async hold(req, decision) {
      const b = binding(req);
      for (const a of approvals.values()) {
        if (a.binding === b && a.status === 'executed' && !a.consumed && a.outcome) {
          a.consumed = true;
          return a.outcome;
        }
      }
      const a: TestApproval = { id: randomUUID(), binding: b, req, decision, status: 'pending', consumed: false };
      approvals.set(a.id, a);
      audit.push({ type: 'approval', id: a.id, sql: req.sql });
      events.emit('created', a);
      return { status: 'pending', decision, approvalId: a.id, reviewUrl: `http://127.0.0.1/approvals/${a.id}`, preview: { available: false, reason: 'preview unavailable: test gateway' } };
    },
    awaitOutcome(id, timeoutMs, signal) {
      const a = approvals.get(id);
      if (!a) return Promise.resolve({ status: 'error', error: new AirlockError(`no approval ${id}`, '42704', 404) });
      if (a.outcome && a.status !== 'pending') {
        a.consumed = true;
        return Promise.resolve(a.outcome);
      }
      return new Promise<GatewayOutcome>((resolve) => {
        const done = (o: GatewayOutcome) => {
          clearTimeout(timer);
          events.off(`done:${id}`, onDone);
          signal?.removeEventListener('abort', onAbort);
          resolve(o);
        };
        const onDone = () => {
          a.consumed = true;
          done(a.outcome!);
        };
        const onAbort = () => done({ status: 'error', approvalId: id, error: queryCanceled(`canceled while waiting for approval ${id}`) });
        const timer = setTimeout(
          () => done({ status: 'error', approvalId: id, error: queryCanceled(`approval ${id} is still pending after ${timeoutMs} ms; retry the same statement once it is approved`) }),
          timeoutMs,
        );
        events.on(`done:${id}`, onDone);
        signal?.addEventListener('abort', onAbort);
      });
    },
    upstream(database) {
      return {
        host: url.hostname,
        port: Number(url.port || 5432),
        user: decodeURIComponent(url.username || 'root'),
        password: url.password ? decodeURIComponent(url.password) : undefined,
        database: database || opts.database || url.pathname.slice(1),
        statementTimeoutMs: opts.statementTimeoutMs ?? 30_000,
      };
    },
    async approve(id) {
      const a = approvals.get(id)!;
      const client = new pg.Client({ ...gw.upstream(a.req.database), types: { getTypeParser: () => (v: string) => v } as never });
      await client.connect();
      try {
        const r = await client.query({ text: a.req.sql, values: a.req.params as unknown[] | undefined });
        const last = Array.isArray(r) ? r[r.length - 1] : r;
        a.status = 'executed';
        a.outcome = {
          status: 'executed',
          decision: a.decision,
          approvalId: id,
          result: { command: last.command ?? '', rowCount: last.rowCount, fields: (last.fields ?? []).map((f: pg.FieldDef) => ({ name: f.name, dataTypeID: f.dataTypeID })), rows: last.rows ?? [] },
        };
      } catch (err) {
        a.status = 'failed';
        a.outcome = { status: 'error', approvalId: id, error: new AirlockError((err as Error).message, ((err as { code?: string }).code ?? 'XX000') as never, 400) };
      } finally {
        await client.end();
      }
      events.emit(`done:${id}`);
    },
    deny(id, reason) {
      const a = approvals.get(id)!;
      a.status = 'denied';
      a.outcome = { status: 'denied', decision: a.decision, approvalId: id, error: insufficientPrivilege(`denied by reviewer: ${reason}`) };
      events.emit(`done:${id}`);
    },
    nextApproval() {
      return new Promise((resolve) => events.once('created', resolve));
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return gw;
}
