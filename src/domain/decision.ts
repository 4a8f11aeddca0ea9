// The policy's vocabulary, shared by every layer: tiers, statement kinds, the analysis of a statement
// (only ever from the libpg-query tree) and the decision. Pure types and constants, no imports.

export const TIERS = ['auto', 'ask', 'block'] as const;
export type Tier = (typeof TIERS)[number];
export const TIER_RANK = { auto: 0, ask: 1, block: 2 } as const satisfies Record<Tier, number>;

/** The strictest of two tiers; a batch gets the strictest tier of its parts. */
export const stricter = (a: Tier, b: Tier): Tier => (TIER_RANK[a] >= TIER_RANK[b] ? a : b);

export const STATEMENT_KINDS = [
  'read', // SELECT / VALUES / TABLE / set operations
  'write', // INSERT / UPDATE / MERGE / SELECT INTO / CREATE TABLE AS
  'delete', // DELETE / TRUNCATE
  'ddl', // CREATE / ALTER / COMMENT / ...
  'drop', // DROP anything
  'explain',
  'show',
  'set', // SET / RESET / SET TRANSACTION / SET CONSTRAINTS
  'transaction', // BEGIN / COMMIT / ROLLBACK / SAVEPOINT
  'copy',
  'maintenance', // VACUUM / ANALYZE / REINDEX / CLUSTER / REFRESH / CHECKPOINT
  'lock',
  'call',
  'notify', // NOTIFY / LISTEN / UNLISTEN
  'session', // PREPARE / EXECUTE / DEALLOCATE / DECLARE / FETCH / CLOSE / DISCARD
  'privilege', // GRANT / REVOKE / roles
  'code', // DO / CREATE FUNCTION / LOAD
  'other',
] as const;
export type StatementKind = (typeof STATEMENT_KINDS)[number];

export const RISK_FLAGS = [
  'writes-in-cte',
  'select-into',
  'locking',
  'volatile-function',
  'unknown-function',
  'dangerous-function',
  'protected-setting',
  'server-file-access',
  'sequence-advance',
  'explain-analyze',
  'nested-write',
  'nested-delete',
  'escapes-rollback',
] as const;
export type RiskFlag = (typeof RISK_FLAGS)[number];

export type Volatility = 'immutable' | 'stable' | 'volatile' | 'unknown';

export interface FunctionRef {
  /** schema as written (lower-cased unless quoted), null when unqualified */
  schema: string | null;
  name: string;
  volatility: Volatility;
  /** the first argument when it is a string constant (set_config, pg_sleep, dblink...) */
  constArgs: (string | number | null)[];
  /** why the function is blocked wherever it appears */
  blocked?: string;
  /** volatile but on the harmless allow-list */
  harmless?: boolean;
}

export interface SettingChange {
  name: string; // lower-case; 'all' for RESET ALL; 'transaction' for SET TRANSACTION
  action: 'set' | 'reset' | 'set-transaction' | 'set_config';
  /** constant value when known */
  value: string | null;
  /** set_config(..., is_local) or SET LOCAL */
  local: boolean;
}

/**
 * A SET of a timeout Airlock enforces (statement_timeout, idle_in_transaction_session_timeout):
 * auto, and the door that keeps the session lowers a value above its cap (0, none, included) to it.
 */
export interface TimeoutClamp {
  setting: string;
  /** SET LOCAL */
  local: boolean;
  /** the value asked for, in milliseconds; 0 is no limit */
  ms: number;
}

export interface StatementAnalysis {
  index: number;
  /** the statement's own text, cut from the request by parser locations */
  sql: string;
  location: number;
  length: number;
  /** top-level parse node type, e.g. SelectStmt */
  node: string;
  kind: StatementKind;
  /** for EXPLAIN: the kind of the explained statement */
  innerKind?: StatementKind;
  /** extra detail such as DROP object type or COPY direction */
  detail?: string;
  tablesRead: string[];
  tablesWritten: string[];
  functions: FunctionRef[];
  /** operators written without a schema (`=`, `~~`, `+` …); qualified ones outside pg_catalog are unknown functions */
  operators: string[];
  settings: SettingChange[];
  flags: RiskFlag[];
}

export interface Analysis {
  /** false when the text could not be parsed or was refused before parsing */
  ok: boolean;
  error?: string;
  statements: StatementAnalysis[];
}

export interface StatementDecision {
  index: number;
  sql: string;
  kind: StatementKind;
  node: string;
  decision: Tier;
  rule: string;
  reason: string;
  tablesRead: string[];
  tablesWritten: string[];
  functions: string[];
  /** unqualified operators, for the per-database catalog check */
  operators: string[];
  flags: RiskFlag[];
  /** a timeout SET that the door clamps to its cap */
  clamp?: TimeoutClamp;
  /** the SQL-level prepared statement a PREPARE, EXECUTE or DEALLOCATE names (`*`: DEALLOCATE ALL) */
  prepared?: string;
  /** column use, kept when masking rules exist */
  columns?: ColumnUse;
}

/**
 * How a statement uses columns, for masking (policy/masking.ts): only a plain column in the top
 * SELECT list is masked at the door; any other use could reveal a masked value bit by bit.
 */
export interface ColumnUse {
  /** columns the top-level SELECT outputs as they are (`*` for a star); the doors mask these */
  output: string[];
  /** output aliases: [alias, column] (ORDER BY alias sorts by the column) */
  aliases: [string, string][];
  /** columns used anywhere else: WHERE, JOIN, ORDER BY, GROUP BY, expressions, subqueries, CTEs */
  used: string[];
  /** uses that reach every column of a table: a star or row value inside an expression or subquery, NATURAL joins, positional ORDER/GROUP BY, COPY of a table */
  probes: ('star' | 'whole-row' | 'natural' | 'positional' | 'copy')[];
}

export interface Decision {
  decision: Tier;
  /** the rule of the strictest statement */
  rule: string;
  reason: string;
  statements: StatementDecision[];
}

/**
 * What the upstream database itself adds to the rules: functions outside pg_catalog that share a
 * name with a function the policy trusts (they shadow or overload it), and operators outside
 * pg_catalog. Read from each database's catalog by the gateway; the policy stays pure.
 */
export interface DatabaseCatalog {
  /** false while the catalog could not be read: then no function call or operator is trusted */
  loaded: boolean;
  shadowedFunctions: ReadonlySet<string>;
  userOperators: ReadonlySet<string>;
  /** read when masking rules exist: the columns they cover, by relation OID and attribute number */
  columns?: ColumnOrigins;
}

/** Where a result column comes from (RowDescription's table OID and attribute number), for masking. */
export interface ColumnOrigin {
  schema: string;
  table: string;
  column: string;
}

export interface ColumnOrigins {
  /** every user relation (table, view, materialized view, foreign or partitioned table) read */
  relations: ReadonlySet<number>;
  /** relation OID → attribute number → the column, for columns some masking rule covers */
  covered: ReadonlyMap<number, ReadonlyMap<number, ColumnOrigin>>;
}

/** Who is asking, so per-agent and per-database rules can apply. */
export interface PolicyContext {
  agent?: string;
  database?: string;
  /** the upstream target serving the database (config `targets:`; `default` for `upstream`) and its label */
  target?: string;
  label?: string;
  /** the database's catalog facts; absent: no catalog check (offline `airlock check`) */
  catalog?: DatabaseCatalog;
  /** evaluation time, for time-window rules */
  now?: Date;
  /**
   * the statements this session PREPAREd (name → the PREPARE's text), as the door that keeps the
   * session saw them go upstream: an EXECUTE of one gets the tier of the statement it runs
   */
  prepared?: ReadonlyMap<string, string>;
}

/** Who a rule (a policy rule or a masking rule) is for: all agents, targets and labels when a list is omitted. */
export interface RuleScope {
  agents?: readonly string[];
  targets?: readonly string[];
  labels?: readonly string[];
}

/** Does a rule apply in this context (its agent, target and label)? */
export const ruleApplies = (r: RuleScope, s: Pick<PolicyContext, 'agent' | 'target' | 'label'>): boolean =>
  (!r.agents || (s.agent !== undefined && r.agents.includes(s.agent))) &&
  (!r.targets || (s.target !== undefined && r.targets.includes(s.target))) &&
  (!r.labels || (s.label !== undefined && r.labels.includes(s.label)));
