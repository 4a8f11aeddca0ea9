// What every client session shares (the gateway port, the upstream pool, settings) and what
// identifies one session (its agent, database, startup settings and cancel key).
import type { Agent } from '../domain/request.js';
import type { AgentLimits } from '../domain/limits.js';
import type { ColumnMasker } from '../domain/masking.js';
import type { GatewayPort } from '../gateway/port.js';
import type { WirePool } from '../upstream/wire-pool.js';

export interface SessionContext {
  gateway: GatewayPort;
  pool: WirePool;
  approvalWaitSeconds: number;
  /** forget a session's cancel key when it ends */
  unregister: (pid: number) => void;
}

export interface SessionIdentity {
  agent: Agent;
  database: string;
  settings: Record<string, string>;
  poolKey: string;
  applicationName?: string;
  pid: number;
  secret: number;
  remote?: string;
  /** the agent's caps and rates (config `limits:`) */
  limits: AgentLimits;
  /** the agent's column masking on this database; null when no masking rule applies */
  masker: ColumnMasker | null;
}
