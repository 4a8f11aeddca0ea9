// The one zod schema for airlock.yaml. Types are inferred from it, never written twice.
import { z } from 'zod';
import { TIERS, STATEMENT_KINDS } from '../domain/decision.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24h)');
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const timeWindowSchema = z
  .object({
    days: z
      .array(z.enum(DAYS))
      .min(1)
      .default([...DAYS]),
    from: hhmm.default('00:00'),
    to: hhmm.default('23:59'),
    /** IANA zone; UTC when unset */
    timezone: z.string().default('UTC'),
  })
  .strict();

export const ruleSchema = z
  .object({
    name: z.string().min(1),
    /** agents this rule applies to; all when omitted */
    agents: z.array(z.string()).optional(),
    databases: z.array(z.string()).optional(),
    /** upstream targets (by name) and target labels (`prod`, `staging` …) this rule applies to */
    targets: z.array(z.string()).optional(),
    labels: z.array(z.string()).optional(),
    kinds: z.array(z.enum(STATEMENT_KINDS)).optional(),
    /** table names, optionally schema-qualified; matches read or written tables */
    tables: z.array(z.string()).optional(),
    functions: z.array(z.string()).optional(),
    /** API integrations this rule applies to (a rule naming integrations or methods never applies to SQL) */
    integrations: z.array(z.string()).optional(),
    /** API methods: "method" or "integration.method" ("stripe.create_refund"); "*" for all */
    methods: z.array(z.string()).optional(),
    /** the rule applies only inside this window (or outside it with `outside: true`) */
    window: timeWindowSchema.optional(),
    outside: z.boolean().default(false),
    tier: z.enum(TIERS),
    reason: z.string().optional(),
    /** a rule may only make things stricter unless it is explicitly marked unsafe */
    unsafe: z.boolean().default(false),
  })
  .strict();

export const MASK_MODES = ['redact', 'hash', 'partial'] as const;

/** `column`, `table.column` or `schema.table.column`; each part a name or a `*` pattern (`*.email`, `public.*.*_ssn`) */
const columnPattern = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+){0,2}$/, 'expected column, table.column or schema.table.column (parts may use * patterns)');

/** Columns whose values agents never see: masked in every result, and never usable in WHERE, JOIN, ORDER BY or GROUP BY. */
export const maskRuleSchema = z
  .object({
    name: z.string().min(1),
    columns: z.array(columnPattern).min(1),
    /** redact: the value is replaced; hash: a stable salted hash (joins and counts still work); partial: the last `keep` characters */
    mode: z.enum(MASK_MODES).default('redact'),
    keep: z.number().int().positive().max(64).default(4),
    /** agents, targets and labels this rule applies to; all when omitted */
    agents: z.array(z.string()).optional(),
    targets: z.array(z.string()).optional(),
    labels: z.array(z.string()).optional(),
  })
  .strict();

export const maskingSchema = z
  .object({
    rules: z.array(maskRuleSchema).default([]),
    /** reviewers who see previews unmasked (everyone else, webhooks and Slack see them masked) */
    unmaskReviewers: z.array(z.string().min(1)).default([]),
    /** salt of the `hash` mode (AIRLOCK_MASK_SALT overrides); derived from the vault's master key when unset */
    salt: z.string().min(16).optional(),
  })
  .strict();

export const policySchema = z
  .object({
    maxStatementBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** the highest statement_timeout / lock_timeout an agent may SET itself */
    maxTimeoutMs: z.number().int().positive().default(300_000),
    /** largest pg_sleep an auto statement may ask for, seconds */
    maxSleepSeconds: z.number().nonnegative().default(1),
    cacheSize: z.number().int().nonnegative().default(10_000),
    /** statement shapes (texts that differ only in constants) whose shared decision is kept; 0 turns the shortcut off */
    shapeCacheSize: z.number().int().nonnegative().default(10_000),
    rules: z.array(ruleSchema).default([]),
    /** column masking (masking.ts): values hidden from agents, and statements that could probe them held */
    masking: maskingSchema.prefault({}),
  })
  .strict();

export const thresholdSchema = z
  .object({
    table: z.string(),
    /** auto-approve a held write touching at most this many rows of the table */
    autoApproveMaxRows: z.number().int().nonnegative().optional(),
    /** require two approvers above this many rows */
    dualApprovalAboveRows: z.number().int().nonnegative().optional(),
  })
  .strict();

export const webhookSchema = z
  .object({
    url: z.string().url(),
    format: z.enum(['json', 'slack']).default('json'),
    /** HMAC-SHA256 key for the X-Airlock-Signature header */
    secret: z.string().optional(),
    timeoutMs: z.number().int().positive().default(5000),
    retries: z.number().int().nonnegative().default(3),
  })
  .strict();

export const approvalsSchema = z
  .object({
    expiryMinutes: z.number().positive().default(15),
    requiredApprovals: z.number().int().min(1).max(5).default(1),
    allowSelfApproval: z.boolean().default(false),
    previewRowLimit: z.number().int().positive().default(50),
    previewTimeoutMs: z.number().int().positive().default(5000),
    /** how many affected rows execution may differ from the preview and still commit */
    driftTolerance: z.number().int().nonnegative().default(0),
    thresholds: z.array(thresholdSchema).default([]),
    webhooks: z.array(webhookSchema).default([]),
  })
  .strict();

export const mcpSchema = z
  .object({
    /** rows returned by the query tool when the agent does not ask for max_rows */
    defaultMaxRows: z.number().int().positive().default(100),
    /** the most rows one tool result may carry */
    maxRows: z.number().int().positive().default(1000),
    /** longest approval_status long-poll, seconds */
    maxWaitSeconds: z.number().int().nonnegative().default(60),
    /** cap on the text table shown to the model (the structured rows keep the row limit) */
    maxTextChars: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    /** open Streamable HTTP / SSE sessions at once; the oldest idle one is closed beyond this */
    maxSessions: z.number().int().positive().default(1000),
    /** an HTTP session unused this long is closed */
    sessionIdleMinutes: z.number().positive().default(30),
    /** largest MCP HTTP request body; larger bodies get 413 */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    /** how long a bearer token accepted by the store is trusted without asking again (MCP over HTTP); a revoked token is refused at most this long after the revocation; 0 asks every time */
    tokenCacheMs: z.number().int().nonnegative().default(1000),
  })
  .strict();

export const auditSchema = z
  .object({
    /** refuse new requests (SQLSTATE 58030 / HTTP 503) once the store is this far behind the journal */
    refuseAfterMs: z.number().int().positive().default(1000),
    /** the local write-ahead journal; default beside the SQLite file, or under AIRLOCK_STATE_DIR (~/.airlock) */
    journalDir: z.string().min(1).optional(),
    /** key for signed checkpoints (AIRLOCK_AUDIT_KEY overrides); created on first use */
    keyFile: z.string().min(1).optional(),
    /** append-only file of signed checkpoints, kept outside the store */
    checkpointFile: z.string().min(1).optional(),
  })
  .strict();

export const DEFAULT_DENY_REASONS = [
  'Touches more rows than intended',
  'Missing or too broad WHERE clause',
  'Wrong database or environment',
  'Needs a change ticket first',
  'Not during business hours',
] as const;

export const consoleSchema = z
  .object({
    /** a console session nobody uses for this long ends */
    sessionIdleMinutes: z.number().positive().default(30),
    /** and every session ends this long after sign-in */
    sessionMaxHours: z.number().positive().default(12),
    /** failed sign-ins for one name before it is locked for `signInWindowMinutes` */
    signInMaxFailures: z.number().int().positive().default(5),
    /** failed sign-ins from one address (any names) before it is locked */
    signInMaxFailuresPerAddress: z.number().int().positive().default(30),
    signInWindowMinutes: z.number().positive().default(15),
    /** risk hint "many rows" above this many affected rows */
    manyRowsThreshold: z.number().int().nonnegative().default(100),
    /** databases (or integrations) shown with a "production" risk hint; `*` wildcards */
    productionTargets: z.array(z.string().min(1)).default(['*prod*']),
    /** preset reasons offered when denying */
    denyReasons: z.array(z.string().min(1).max(200)).default([...DEFAULT_DENY_REASONS]),
  })
  .strict();

export const slackSchema = z
  .object({
    /** bot token (xoxb-...) of the Slack app; env AIRLOCK_SLACK_BOT_TOKEN */
    botToken: z.string().min(1),
    /** the app's signing secret; env AIRLOCK_SLACK_SIGNING_SECRET */
    signingSecret: z.string().min(1),
    /** channel id new approvals are posted to */
    channel: z.string().min(1),
    /** Slack user id -> reviewer name: only these users' clicks count */
    users: z.record(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id such as U024BE7LH'), z.string().min(1)).default({}),
    /** Web API base URL (tests point it at a local fake) */
    apiUrl: z.string().url().default('https://slack.com/api/'),
    /** oldest request timestamp accepted, seconds (replay protection); Slack recommends 300 */
    maxAgeSeconds: z.number().int().positive().max(300).default(300),
  })
  .strict();

export const emailSchema = z
  .object({
    /** smtp://user:pass@host:587 or smtps://...; env AIRLOCK_SMTP_URL */
    url: z.string().regex(/^smtps?:\/\//, 'expected smtp:// or smtps://'),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
  })
  .strict();

export const authSchema = z
  .object({
    /** failed logins for one agent name (wire) within the window before that name is locked */
    maxFailures: z.number().int().positive().default(10),
    /** failed logins or bearer tokens from one address within the window before the address is locked */
    maxFailuresPerAddress: z.number().int().positive().default(50),
    windowSeconds: z.number().positive().default(60),
  })
  .strict();

export const metricsSchema = z
  .object({
    /** serve Prometheus metrics on GET /metrics */
    enabled: z.boolean().default(true),
    /** when set, /metrics answers only requests with `Authorization: Bearer <token>` */
    token: z.string().min(16).optional(),
  })
  .strict();

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1000 ** 2, mib: 1024 ** 2, gb: 1000 ** 3, gib: 1024 ** 3 };
const SIZE_HINT = 'expected a positive number of bytes or a size such as "512kB" or "16MiB"';

/** a byte count: 16777216, "16MiB", "512kB" */
const byteSize = z.union(
  [
    z.number().int().positive(),
    z.string().transform((text, ctx) => {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(text);
      const n = m ? Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]) : 0;
      if (n > 0) return n;
      ctx.addIssue({ code: 'custom', message: SIZE_HINT });
      return z.NEVER;
    }),
  ],
  { error: SIZE_HINT },
);

/** a count per window: the long form of requestsPerMinute, askPerHour and rowsPerHour */
const rateSchema = z.object({ limit: z.number().int().positive(), windowSeconds: z.number().int().positive() }).strict();

/** shorthand key → long form key: one of them per level */
export const RATE_KEYS = { requestsPerMinute: 'requests', askPerHour: 'ask', rowsPerHour: 'rows' } as const;

/** Limits of one agent (or the default for all): caps the agent cannot lift, rates and budgets. */
export const agentLimitsSchema = z
  .object({
    /** most rows one result carries (wire: per result; MCP: max_rows can only lower it) */
    maxRows: z.number().int().positive().optional(),
    /** most bytes of row data one result carries */
    maxResultBytes: byteSize.optional(),
    /** the longest a statement may run, whatever statement_timeout the session SETs (default: the larger of policy.maxTimeoutMs and upstream.statementTimeoutMs) */
    statementTimeoutMs: z.number().int().positive().optional(),
    /** requests per minute, counted per door (wire statements, MCP tool calls, API calls) */
    requestsPerMinute: z.number().int().positive().optional(),
    /** statements and API calls held for approval per hour */
    askPerHour: z.number().int().positive().optional(),
    /** rows received per hour, all doors together */
    rowsPerHour: z.number().int().positive().optional(),
    /** the same with any window: { limit, windowSeconds } */
    requests: rateSchema.optional(),
    ask: rateSchema.optional(),
    rows: rateSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const [short, long] of Object.entries(RATE_KEYS)) {
      if (v[short as keyof typeof RATE_KEYS] !== undefined && v[long] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [long], message: `set either ${short} or ${long}, not both` });
      }
    }
  });

export const limitsSchema = z
  .object({
    /** every agent's limits */
    default: agentLimitsSchema.prefault({}),
    /** per agent name: overrides of the default, key by key (names must exist in the store) */
    agents: z.record(z.string().min(1), agentLimitsSchema).default({}),
    /** Redis key prefix of the shared counters (used when redis.url / REDIS_URL is set) */
    keyPrefix: z.string().min(1).default('airlock:limits'),
  })
  .strict();

/** One more upstream, for the databases it lists (the others go to `upstream`, target `default`). */
export const targetSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a target name is letters, digits, _ and -'),
    label: z.string().min(1),
    url: z.string(),
    databases: z.array(z.string().min(1)).min(1),
  })
  .strict();

export const configSchema = z
  .object({
    /** several upstreams in one gateway: wire clients and MCP tools choose by database name */
    targets: z.array(targetSchema).default([]),
    upstream: z
      .object({
        url: z.string().default('postgresql://127.0.0.1:5432/postgres'),
        /** the label of this upstream as a target (named `default`): what rules match with `labels` */
        label: z.string().min(1).default('default'),
        statementTimeoutMs: z.number().int().positive().default(30_000),
        poolSize: z.number().int().positive().default(20),
        /** most of a database's wire connections one agent may hold (default: half the pool) */
        maxPerAgent: z.number().int().positive().optional(),
        /** PostgreSQL ends an agent's session idle inside a transaction this long (0: never) */
        idleInTransactionTimeoutMs: z.number().int().nonnegative().default(120_000),
        /** how often each database's catalog is read again for functions and operators that shadow pg_catalog's */
        catalogRefreshSeconds: z.number().positive().default(60),
        /**
         * the server runs every connection on one backend (PGlite behind pglite-socket, as in the
         * embedded demo): no named statements or DISCARD ALL, which would touch every session
         */
        sharedBackend: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    store: z
      .object({ url: z.string().default('sqlite:./airlock.sqlite') })
      .strict()
      .default({ url: 'sqlite:./airlock.sqlite' }),
    redis: z
      .object({
        url: z.string().optional(),
        /** the BullMQ queue's name: gateways that share it share work (one deployment per name on a Redis) */
        queueName: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - (at most 100)')
          .default('airlock-executions'),
      })
      .strict()
      .prefault({}),
    /** folders of integration definitions loaded beside the shipped ones (`airlock serve --integrations DIR`) */
    integrations: z
      .object({
        /** shipped integrations to serve ("*": all of them) */
        enable: z.array(z.string()).default(['*']),
        dirs: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    wire: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(6432),
        approvalWaitSeconds: z.number().nonnegative().default(60),
        /** a client that reads none of its results for this long is disconnected (its server is freed); 0: never */
        clientStallTimeoutMs: z.number().int().nonnegative().default(60_000),
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        tls: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** base URL put in review links; derived from host/port when unset */
        publicUrl: z.string().optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080 }),
    reviewers: z.array(z.object({ name: z.string().min(1), token: z.string().min(16) }).strict()).default([]),
    policy: policySchema.default(policySchema.parse({})),
    approvals: approvalsSchema.default(approvalsSchema.parse({})),
    mcp: mcpSchema.default(mcpSchema.parse({})),
    audit: auditSchema.default(auditSchema.parse({})),
    auth: authSchema.default(authSchema.parse({})),
    console: consoleSchema.default(consoleSchema.parse({})),
    metrics: metricsSchema.prefault({}),
    /** per-agent caps (rows, bytes, statement time) and rates (requests, held statements, rows read) */
    limits: limitsSchema.prefault({}),
    /** on SIGTERM/SIGINT, how long in-flight statements and HTTP requests may take to finish before everything is closed */
    shutdownGraceMs: z.number().int().nonnegative().default(10_000),
    /** Slack app: new approvals posted with Approve/Deny buttons */
    slack: slackSchema.optional(),
    /** an email notice for each new approval */
    email: emailSchema.optional(),
  })
  .strict()
  .superRefine(checkTargets);

/** Target names unique, each database served by one target, rules naming only known targets and labels. */
function checkTargets(
  c: { targets: TargetConfig[]; upstream: { label: string }; policy: { rules: PolicyRule[]; masking: MaskingConfig } },
  ctx: z.RefinementCtx,
) {
  const names = new Map<string, number>([['default', -1]]);
  const databases = new Map<string, string>();
  c.targets.forEach((t, i) => {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `target name "${t.name}" is used twice` });
    names.set(t.name, i);
    t.databases.forEach((db, j) => {
      const other = databases.get(db);
      if (other)
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'databases', j], message: `database "${db}" is also listed at ${other}` });
      else databases.set(db, `targets[${i}].databases[${j}]`);
    });
  });
  const labels = new Set([c.upstream.label, ...c.targets.map((t) => t.label)]);
  const check = (r: { targets?: string[]; labels?: string[] }, at: (string | number)[]) => {
    r.targets?.forEach((t, j) => {
      if (!names.has(t)) ctx.addIssue({ code: 'custom', path: [...at, 'targets', j], message: `no target named "${t}"` });
    });
    r.labels?.forEach((l, j) => {
      if (!labels.has(l)) ctx.addIssue({ code: 'custom', path: [...at, 'labels', j], message: `no target has the label "${l}"` });
    });
  };
  c.policy.rules.forEach((r, i) => check(r, ['policy', 'rules', i]));
  c.policy.masking.rules.forEach((r, i) => check(r, ['policy', 'masking', 'rules', i]));
}

export type AirlockConfig = z.infer<typeof configSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type PolicyRule = z.infer<typeof ruleSchema>;
export type MaskRule = z.infer<typeof maskRuleSchema>;
export type MaskingConfig = z.infer<typeof maskingSchema>;
export type MaskMode = (typeof MASK_MODES)[number];
export type TargetConfig = z.infer<typeof targetSchema>;
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;
export type McpConfig = z.infer<typeof mcpSchema>;
export type ConsoleConfig = z.infer<typeof consoleSchema>;
export type SlackConfig = z.infer<typeof slackSchema>;
export type EmailConfig = z.infer<typeof emailSchema>;
export type MetricsConfig = z.infer<typeof metricsSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type AgentLimitsConfig = z.infer<typeof agentLimitsSchema>;
