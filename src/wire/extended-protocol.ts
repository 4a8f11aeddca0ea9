// The extended query protocol of a wire session: classify at Parse, remember the decision by
// statement name, enforce at Bind/Execute (held statements are answered by the proxy, never sent
// upstream), and after an error skip to Sync like PostgreSQL.
import {
  bindComplete,
  closeComplete,
  decodeBind,
  decodeBindNames,
  decodeExecute,
  decodeParse,
  decodeTarget,
  emptyQueryResponse,
  errorResponse,
  noData,
  parameterDescription,
  parseComplete,
  rfqFor,
  describePortalMessage,
} from '../../protocol/index.js';
import { asAirlockError, invalidUtf8, type AirlockError } from '../errors.js';
import type { Decision } from '../domain/decision.js';
import type { GatewayRequest } from '../domain/request.js';
import type { ClientIo, Step } from './client-io.js';
import type { HeldResult } from './held.js';
import { blockedFrame, errorFrame, resultFrames } from './result-frames.js';
import type { UpstreamBinding } from './session-upstream.js';
import type { SessionContext } from './session-types.js';
import { copiesFromClient, copyInNotHeld, isEmpty, leavesSessionState, paramTypesOf, trackPrepared } from './statement-facts.js';
import { clampedParse } from './timeout-clamp.js';

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
  /** the client described this portal since its last Execute (masking then needs no Describe of its own) */
  described?: boolean;
}

const unnamedOk = (name: string) => name === '';

/** What the extended protocol needs of its session. */
export interface SessionParts {
  readonly ctx: SessionContext;
  readonly io: ClientIo;
  readonly up: UpstreamBinding;
  /** timeouts a SET may not raise past (timeout-clamp.ts) */
  readonly clampCaps: Readonly<Record<string, number>>;
  /** SQL-level PREPAREs sent upstream (statement-facts.ts trackPrepared) */
  readonly prepared: Map<string, string>;
  request(sql: string, params?: unknown[]): GatewayRequest;
  held(sql: string, params: unknown[] | undefined, decision: Decision): Promise<HeldResult>;
  /** the agent's rates: `next` once the request is counted, or `refuse` with the 53400 error */
  admitted(next: () => Step, refuse: (e: AirlockError) => Step): Step;
  /** the agent has a rate to count (else admitted() is skipped: no closures on the hot path) */
  readonly rated: boolean;
}

export class ExtendedProtocol {
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Portal>();

  constructor(private readonly s: SessionParts) {}

  onParse(buf: Buffer, start: number, end: number): Step {
    const p = decodeParse(buf, start, end);
    if (!p.utf8) return this.failExtended(errorFrame(invalidUtf8()));
    let decision: Decision;
    try {
      decision = this.s.ctx.gateway.decide(this.s.request(p.sql));
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
    if (held) return this.s.up.synth(() => this.s.io.emit(parseComplete));
    if (!unnamedOk(p.name) || leavesSessionState(decision)) this.s.up.pinned = true;
    trackPrepared(decision, this.s.prepared);
    const clamped = clampedParse(decision, this.s.clampCaps, p.name, p.paramTypes);
    if (clamped) return this.s.up.forwardExtended(clamped, 0, clamped.length);
    return this.s.up.forwardExtended(buf, start, end);
  }

  /** Each Bind is one execution of a statement: counted against the agent's rates. */
  onBind(buf: Buffer, start: number, end: number): Step {
    if (!this.s.rated) return this.bind(buf, start, end);
    return this.s.admitted(
      () => this.bind(buf, start, end),
      (e) => this.failExtended(errorFrame(e)),
    );
  }

  private bind(buf: Buffer, start: number, end: number): Step {
    const names = decodeBindNames(buf, start, end);
    const stmt = this.statements.get(names.statement);
    if (!stmt)
      return this.failExtended(errorResponse({ code: '26000', message: `prepared statement "${names.statement}" does not exist` }));
    if (stmt.held) {
      const b = decodeBind(buf, start, end);
      this.portals.set(names.portal, { stmt, params: b.params, describePending: false });
      return this.s.up.synth(() => this.s.io.emit(bindComplete));
    }
    // the Parse was audited once; a prepared statement run again is audited at each Bind, with the
    // decision its Parse got (the one enforced)
    if (stmt.bound) {
      try {
        this.s.ctx.gateway.auditDecision(this.s.request(stmt.sql), stmt.decision);
      } catch (err) {
        return this.failExtended(errorFrame(asAirlockError(err)));
      }
    }
    stmt.bound = true;
    if (!unnamedOk(names.portal)) this.s.up.pinned = true;
    this.portals.set(names.portal, { stmt, params: [], describePending: false });
    return this.s.up.forwardExtended(buf, start, end);
  }

  onDescribe(buf: Buffer, start: number, end: number): Step {
    const t = decodeTarget(buf, start, end);
    if (t.kind === 'S') {
      const stmt = this.statements.get(t.name);
      if (!stmt) return this.failExtended(errorResponse({ code: '26000', message: `prepared statement "${t.name}" does not exist` }));
      if (!stmt.held) {
        this.s.up.masking?.describeSent(false);
        return this.s.up.forwardExtended(buf, start, end);
      }
      return this.s.up.synth(() => {
        this.s.io.emit(parameterDescription(paramTypesOf(stmt)));
        this.s.io.emit(noData);
      });
    }
    const portal = this.portals.get(t.name);
    if (!portal) return this.failExtended(errorResponse({ code: '34000', message: `portal "${t.name}" does not exist` }));
    if (!portal.stmt.held) {
      portal.described = true;
      this.s.up.masking?.describeSent(false);
      return this.s.up.forwardExtended(buf, start, end);
    }
    portal.describePending = true;
  }

  onExecute(buf: Buffer, start: number, end: number): Step {
    const { portal: name } = decodeExecute(buf, start, end);
    const portal = this.portals.get(name);
    if (!portal) return this.failExtended(errorResponse({ code: '34000', message: `portal "${name}" does not exist` }));
    if (!portal.stmt.held)
      return this.s.up.masking ? this.maskedExecute(portal, name, buf, start, end) : this.s.up.forwardExtended(buf, start, end);
    return this.heldExecute(portal);
  }

  /** With masking, the rows of an Execute must follow a RowDescription: a Describe of the portal first when the client sent none. */
  private maskedExecute(portal: Portal, name: string, buf: Buffer, start: number, end: number): Step {
    const described = portal.described === true;
    portal.described = false;
    if (described) return this.s.up.forwardExtended(buf, start, end);
    const describe = describePortalMessage(name);
    this.s.up.masking!.describeSent(true);
    const step = this.s.up.forwardExtended(describe, 0, describe.length);
    if (step) return step.then(() => this.s.up.forwardExtended(buf, start, end));
    return this.s.up.forwardExtended(buf, start, end);
  }

  private async heldExecute(portal: Portal): Promise<void> {
    if (await this.s.up.syncPoint()) return;
    if (isEmpty(portal.stmt.decision)) {
      this.s.io.emit(emptyQueryResponse);
      return;
    }
    const params = portal.params.map((p) => (Buffer.isBuffer(p) ? p.toString('hex') : p));
    const r = await this.s.held(portal.stmt.sql, params, portal.stmt.decision);
    const describe = portal.describePending;
    portal.describePending = false;
    if (!r.ok) return this.failExtended(r.error);
    if (describe && r.result.fields.length === 0) this.s.io.emit(noData);
    for (const f of resultFrames(r.result, describe)) this.s.io.emit(f);
  }

  onClose(buf: Buffer, start: number, end: number): Step {
    const t = decodeTarget(buf, start, end);
    const map: Map<string, unknown> = t.kind === 'S' ? this.statements : this.portals;
    const entry = map.get(t.name) as Statement | Portal | undefined;
    map.delete(t.name);
    const held = entry ? ('held' in entry ? entry.held : entry.stmt.held) : true;
    if (held) return this.s.up.synth(() => this.s.io.emit(closeComplete));
    return this.s.up.forwardExtended(buf, start, end);
  }

  onSync(buf: Buffer, start: number, end: number): Step {
    this.s.up.skipToSync = false;
    for (const p of this.portals.values()) {
      if (p.describePending) {
        p.describePending = false;
        this.s.io.emit(noData);
      }
    }
    if (this.s.up.server && this.s.up.forwardedSinceSync) {
      this.s.up.forwardedSinceSync = false;
      this.s.up.masking?.syncSent();
      this.s.io.forward(buf, start, end);
      this.s.up.server.expectClientReady();
      return;
    }
    return this.s.up.synth(() => this.s.io.emit(rfqFor(this.s.up.currentStatus())));
  }

  /** Error for an extended-protocol message: ErrorResponse, then ignore everything until Sync. */
  private failExtended(frame: Buffer): Step {
    return this.s.up.synth(() => {
      this.s.io.emit(frame);
      this.s.up.skipToSync = true;
      return this.s.up.abortBlock();
    });
  }
}
