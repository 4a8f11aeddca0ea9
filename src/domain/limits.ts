// An agent's limits as the doors apply them (config `limits:`, default merged with the agent's own):
// caps the agent cannot lift (rows and bytes per result, statement time) and counted rates.

/** A count per window, and the config key it came from (for messages and the audit trail). */
export interface Rate {
  limit: number;
  windowSeconds: number;
  /** requestsPerMinute, requests, askPerHour, ask, rowsPerHour or rows */
  key: string;
}

export interface AgentLimits {
  /** most rows per result; Infinity when uncapped */
  maxRows: number;
  /** most bytes of row data per result; Infinity when uncapped */
  maxResultBytes: number;
  /** the longest one statement may run, whatever the session SETs */
  statementTimeoutMs: number;
  /** requests per window, counted per door */
  requests?: Rate;
  /** held (ask-tier) requests per window */
  ask?: Rate;
  /** rows received per window, all doors together */
  rows?: Rate;
  /** admission counts something (requests or the rows budget): doors without it skip the check */
  gated: boolean;
}

/** The limit that cut a result short. */
export interface ResultCap {
  limit: 'maxRows' | 'maxResultBytes';
  value: number;
}
