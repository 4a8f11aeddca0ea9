// Protocol layer of a client session (over session-upstream.ts and session-core.ts): every
// statement is classified before anything reaches the upstream. Simple query: classify the whole
// string. Extended: classify at Parse, remember the decision by statement name, enforce at Execute;
// after an error skip to Sync like PostgreSQL.
import {
  Front,
  bindComplete,
  closeComplete,
  decodeBind,
  decodeBindNames,
  decodeExecute,
  decodeParse,
  decodeQuery,
  decodeTarget,
  emptyQueryResponse,
  errorResponse,
  noData,
  parameterDescription,
  parseComplete,
  queryTextIsUtf8,
  rfqFor,
} from '../../protocol/index.js';
import { AirlockError, asAirlockError, insufficientPrivilege, invalidUtf8, protocolViolation } from '../errors.js';
import type { GatewayRequest } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
import { errorFrame, blockedFrame, resultFrames } from './result-frames.js';
import type { Step } from './session-core.js';
import { SessionUpstream } from './session-upstream.js';
import { runHeld } from './held.js';
import { copiesFromClient, copyInNotHeld, isEmpty, leavesSessionState, paramTypesOf } from './statement-facts.js';

interface Statement {
  sql: string;
  paramTypes: number[];
  decision: Decision;
  /** not auto: never sent upstream; the proxy answers for it */
  held: boolean;
  /** bound before: each later Bind is another execution, audited on its own */
  bound: boolean;
}

interface Portal {
  stmt: Statement;
  params: (string | Buffer | null)[];
  /** a Describe of this held portal waits for the result's columns */
  describePending: boolean;
}

const unnamedOk = (name: string) => name === '';

export class Session extends SessionUpstream {
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Portal>();
  private abort: AbortController | null = null;

  protected dispatch(type: number, buf: Buffer, start: number, end: number): Step {
    if (this.skipToSync && type !== Front.sync && type !== Front.terminate) return;
    switch (type) {
      case Front.query:
        return this.onQuery(decodeQuery(buf, start, end), buf, start, end);
      case Front.parse:
        return this.onParse(buf, start, end);
      case Front.bind:
        return this.onBind(buf, start, end);
      case Front.describe:
        return this.onDescribe(buf, start, end);
      case Front.execute:
        return this.onExecute(buf, start, end);
      case Front.close:
        return this.onClose_(buf, start, end);
      case Front.sync:
        return this.onSync(buf, start, end);
      case Front.flush:
        if (this.server && this.forwardedSinceSync) this.forward(buf, start, end);
        return;
      case Front.terminate:
        this.close();
        return;
      case Front.copyData:
      case Front.copyDone:
      case Front.copyFail:
        // only meaningful while the upstream runs a COPY that was itself classified; else dropped
        if (this.server && this.server.outstanding > 0) this.forward(buf, start, end);
        return;
      case Front.functionCall:
        return this.synth(() => {
          this.emit(errorFrame(insufficientPrivilege('fastpath function calls are not allowed through Airlock')));
          this.emit(rfqFor(this.currentStatus()));
        });
      default:
        throw protocolViolation(`invalid frontend message type ${type} ("${String.fromCharCode(type)}")`);
    }
  }

  private request(sql: string, params?: unknown[]): GatewayRequest {
    return {
      agent: this.id.agent,
      door: 'wire',
      database: this.id.database,
      sql,
      params,
      client: this.id.applicationName,
      session: { inTransaction: this.currentStatus() !== 0x49, searchPath: this.id.settings.search_path },
    };
  }

  // ---- simple query ----

  private onQuery(sql: string, buf: Buffer, start: number, end: number): Step {
    if (!queryTextIsUtf8(buf, start, end)) {
      return this.synth(() => {
        this.emit(errorFrame(invalidUtf8()));
        this.emit(rfqFor(this.currentStatus()));
      });
    }
    if (this.forwardedSinceSync) {
      // a Query inside an unfinished extended batch: PostgreSQL skips it if the batch failed, so close
      // the batch with our own Sync first and keep the ReadyForQuery count exact
      return this.syncPoint().then((failed) => (failed ? undefined : this.onQuery(sql, buf, start, end)));
    }
    if (/^\s*$/.test(sql)) {
      return this.synth(() => {
        this.emit(emptyQueryResponse);
        this.emit(rfqFor(this.currentStatus()));
      });
    }
    let decision: Decision;
    try {
      decision = this.ctx.gateway.decide(this.request(sql));
    } catch (err) {
      return this.synth(() => {
        this.emit(errorFrame(asAirlockError(err)));
        this.emit(rfqFor(this.currentStatus()));
      });
    }
    if (isEmpty(decision)) {
      return this.synth(() => {
        this.emit(emptyQueryResponse);
        this.emit(rfqFor(this.currentStatus()));
      });
    }
    if (decision.decision === 'block') {
      return this.synth(() => {
        this.emit(blockedFrame(decision));
        this.emit(rfqFor(this.currentStatus()));
      });
    }
    if (decision.decision === 'ask' && copiesFromClient(decision)) {
      return this.synth(() => {
        this.emit(errorFrame(copyInNotHeld()));
        this.emit(rfqFor(this.currentStatus()));
      });
    }
    if (decision.decision === 'ask') return this.heldQuery(sql, decision);
    if (leavesSessionState(decision)) this.pinned = true;
    const s = this.tryServer();
    if (!s) {
      return this.acquire().then(
        () => this.forwardQuery(buf, start, end),
        (err) => {
          this.emit(errorFrame(asAirlockError(err)));
          this.emit(rfqFor(this.currentStatus()));
        },
      );
    }
    this.forwardQuery(buf, start, end);
  }

  private forwardQuery(buf: Buffer, start: number, end: number): void {
    this.forward(buf, start, end);
    this.server!.expectClientReady();
  }

  private async heldQuery(sql: string, decision: Decision): Promise<void> {
    await this.syncPoint();
    const r = await this.held(sql, undefined, decision);
    if (r.ok) for (const f of resultFrames(r.result, true)) this.emit(f);
    else this.emit(r.error);
    this.emit(rfqFor(this.currentStatus()));
  }

  private async held(sql: string, params: unknown[] | undefined, decision: Decision) {
    this.abort = new AbortController();
    try {
      return await runHeld(this.ctx.gateway, this.request(sql, params), decision, {
        waitSeconds: this.ctx.approvalWaitSeconds,
        signal: this.abort.signal,
        notice: (b: Buffer) => {
          this.emit(b);
          this.flushClient();
        },
      });
    } finally {
      this.abort = null;
    }
  }

  /** CancelRequest for this session: stop waiting for a reviewer, or cancel the upstream query. */
  cancel(): void {
    if (this.abort) this.abort.abort();
    else if (this.server && this.server.outstanding > 0) this.server.cancel();
  }

  // ---- extended protocol ----

  private onParse(buf: Buffer, start: number, end: number): Step {
    const p = decodeParse(buf, start, end);
    if (!p.utf8) return this.failExtended(errorFrame(invalidUtf8()));
    let decision: Decision;
    try {
      decision = this.ctx.gateway.decide(this.request(p.sql));
    } catch (err) {
      return this.failExtended(errorFrame(asAirlockError(err)));
    }
    if (decision.decision === 'block' && !isEmpty(decision)) return this.failExtended(blockedFrame(decision));
    if (decision.decision === 'ask' && copiesFromClient(decision)) return this.failExtended(errorFrame(copyInNotHeld()));
    const held = decision.decision !== 'auto';
    const stmt: Statement = { sql: p.sql, paramTypes: p.paramTypes, decision, held, bound: false };
    if (!unnamedOk(p.name) && this.statements.has(p.name)) {
      return this.failExtended(errorResponse({ code: '42P05', message: `prepared statement "${p.name}" already exists` }));
    }
    this.statements.set(p.name, stmt);
    if (held) return this.synth(() => this.emit(parseComplete));
    if (!unnamedOk(p.name) || leavesSessionState(decision)) this.pinned = true;
    return this.forwardExtended(buf, start, end);
  }

  private onBind(buf: Buffer, start: number, end: number): Step {
    const names = decodeBindNames(buf, start, end);
    const stmt = this.statements.get(names.statement);
    if (!stmt)
      return this.failExtended(errorResponse({ code: '26000', message: `prepared statement "${names.statement}" does not exist` }));
    if (stmt.held) {
      const b = decodeBind(buf, start, end);
      this.portals.set(names.portal, { stmt, params: b.params, describePending: false });
      return this.synth(() => this.emit(bindComplete));
    }
    // the Parse was audited once; a prepared statement run again is audited at each Bind, with the
    // decision its Parse got (the one enforced)
    if (stmt.bound) {
      try {
        this.ctx.gateway.auditDecision(this.request(stmt.sql), stmt.decision);
      } catch (err) {
        return this.failExtended(errorFrame(asAirlockError(err)));
      }
    }
    stmt.bound = true;
    if (!unnamedOk(names.portal)) this.pinned = true;
    this.portals.set(names.portal, { stmt, params: [], describePending: false });
    return this.forwardExtended(buf, start, end);
  }

  private onDescribe(buf: Buffer, start: number, end: number): Step {
    const t = decodeTarget(buf, start, end);
    if (t.kind === 'S') {
      const stmt = this.statements.get(t.name);
      if (!stmt) return this.failExtended(errorResponse({ code: '26000', message: `prepared statement "${t.name}" does not exist` }));
      if (!stmt.held) return this.forwardExtended(buf, start, end);
      return this.synth(() => {
        this.emit(parameterDescription(paramTypesOf(stmt)));
        this.emit(noData);
      });
    }
    const portal = this.portals.get(t.name);
    if (!portal) return this.failExtended(errorResponse({ code: '34000', message: `portal "${t.name}" does not exist` }));
    if (!portal.stmt.held) return this.forwardExtended(buf, start, end);
    portal.describePending = true;
  }

  private onExecute(buf: Buffer, start: number, end: number): Step {
    const { portal: name } = decodeExecute(buf, start, end);
    const portal = this.portals.get(name);
    if (!portal) return this.failExtended(errorResponse({ code: '34000', message: `portal "${name}" does not exist` }));
    if (!portal.stmt.held) return this.forwardExtended(buf, start, end);
    return this.heldExecute(portal);
  }

  private async heldExecute(portal: Portal): Promise<void> {
    if (await this.syncPoint()) return;
    if (isEmpty(portal.stmt.decision)) {
      this.emit(emptyQueryResponse);
      return;
    }
    const params = portal.params.map((p) => (Buffer.isBuffer(p) ? p.toString('hex') : p));
    const r = await this.held(portal.stmt.sql, params, portal.stmt.decision);
    const describe = portal.describePending;
    portal.describePending = false;
    if (!r.ok) {
      this.emit(r.error);
      this.skipToSync = true;
      return;
    }
    if (describe && r.result.fields.length === 0) this.emit(noData);
    for (const f of resultFrames(r.result, describe)) this.emit(f);
  }

  private onClose_(buf: Buffer, start: number, end: number): Step {
    const t = decodeTarget(buf, start, end);
    const map: Map<string, unknown> = t.kind === 'S' ? this.statements : this.portals;
    const entry = map.get(t.name) as Statement | Portal | undefined;
    map.delete(t.name);
    const held = entry ? ('held' in entry ? entry.held : entry.stmt.held) : true;
    if (held) return this.synth(() => this.emit(closeComplete));
    return this.forwardExtended(buf, start, end);
  }

  private onSync(buf: Buffer, start: number, end: number): Step {
    this.skipToSync = false;
    for (const p of this.portals.values()) {
      if (p.describePending) {
        p.describePending = false;
        this.emit(noData);
      }
    }
    if (this.server && this.forwardedSinceSync) {
      this.forwardedSinceSync = false;
      this.forward(buf, start, end);
      this.server.expectClientReady();
      return;
    }
    return this.synth(() => this.emit(rfqFor(this.currentStatus())));
  }

  /** Error for an extended-protocol message: ErrorResponse, then ignore everything until Sync. */
  private failExtended(frame: Buffer): Step {
    return this.synth(() => {
      this.emit(frame);
      this.skipToSync = true;
    });
  }

  protected stepFailed(err: AirlockError): void {
    this.emit(errorFrame(err));
    this.skipToSync = true;
  }
}
