// Open MCP HTTP sessions (Streamable HTTP and legacy SSE), each bound to the agent that opened it,
// with a cap and an idle timeout so abandoned sessions cannot pile up in memory.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { logger } from '../logger.js';

export const SESSION_KINDS = { streamable: 'streamable-http', sse: 'sse' } as const;
export type SessionKind = (typeof SESSION_KINDS)[keyof typeof SESSION_KINDS];

export interface McpSession<T extends Transport = Transport> {
  id: string;
  kind: SessionKind;
  agentId: string;
  server: McpServer;
  transport: T;
  lastSeen: number;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, McpSession>();
  private readonly sweeper: NodeJS.Timeout;
  /** run when the registry closes (e.g. to stop following revocations) */
  onClose?: () => void;

  constructor(
    private readonly maxSessions: number,
    private readonly idleMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, idleMs / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Register a session; beyond the cap the least recently used one is closed. */
  add(session: McpSession): void {
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.values().next().value as McpSession | undefined;
      if (!oldest) break;
      logger.info({ session: oldest.id }, 'closing the least recently used MCP session (session limit)');
      this.close(oldest.id);
    }
    this.sessions.set(session.id, session);
  }

  /**
   * The session with this id when it belongs to this agent (touching it), else undefined: another
   * agent's session id is treated exactly like an unknown one.
   */
  get(id: string | undefined, kind: SessionKind, agentId: string): McpSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s || s.kind !== kind || s.agentId !== agentId) return undefined;
    // Map keeps insertion order: re-insert so the first entry is always the least recently used
    this.sessions.delete(id);
    s.lastSeen = Date.now();
    this.sessions.set(id, s);
    return s;
  }

  /** Forget a session (its transport closed on its own). */
  remove(id: string): void {
    this.sessions.delete(id);
  }

  /** Close a session's server and transport and forget it. */
  close(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    void s.server.close().catch((err: Error) => logger.warn({ err: err.message, session: id }, 'error closing MCP session'));
  }

  /** Close every session of an agent (revoked); returns how many. */
  closeAgent(agentId: string): number {
    const ids = [...this.sessions.values()].filter((s) => s.agentId === agentId).map((s) => s.id);
    for (const id of ids) this.close(id);
    return ids.length;
  }

  sweep(now = Date.now()): void {
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastSeen > this.idleMs) this.close(s.id);
    }
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    this.onClose?.();
    for (const id of [...this.sessions.keys()]) this.close(id);
  }
}
