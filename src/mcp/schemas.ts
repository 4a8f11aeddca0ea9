// zod schemas of every MCP tool's input and structured output: the single source of truth
// for validation, the JSON Schema clients see, and the handlers' argument types.
import { z } from 'zod';
import { TIERS } from '../domain/decision.js';
import { APPROVAL_STATUSES } from '../domain/approval.js';
import type { McpConfig } from '../config/schema.js';

const nullableString = z.string().nullable();

export const databaseArg = z
  .string({ error: 'database must be a string (a database name)' })
  .min(1, 'database must not be empty')
  .max(63, 'database names are at most 63 bytes')
  .optional()
  .describe('database to use; the gateway default when omitted (see list_databases)');

export const targetArg = z
  .string({ error: 'target must be a string (a target name)' })
  .min(1, 'target must not be empty')
  .max(63, 'target names are at most 63 characters')
  .optional()
  .describe('upstream target (see list_databases); with no database, its first database');

const sqlArg = z
  .string({ error: 'sql is required and must be a string of SQL' })
  .min(1, 'sql must not be empty')
  .describe('the SQL text (one or more statements)');

const paramsArg = z
  .array(z.union([z.string(), z.number(), z.boolean(), z.null()]), {
    error: 'params must be an array of strings, numbers, booleans or nulls',
  })
  .max(10_000, 'at most 10000 params')
  .optional()
  .describe('values for $1, $2, ... placeholders (pass JSON values as strings)');

/** Input shapes; limits come from the config so the JSON Schema shows the real bounds. */
export function inputSchemas(cfg: McpConfig) {
  const maxRows = z
    .number({ error: 'max_rows must be a number' })
    .int('max_rows must be a whole number')
    .min(1, 'max_rows must be at least 1')
    .max(cfg.maxRows, `max_rows is at most ${cfg.maxRows}`)
    .optional()
    .describe(`most rows to return (default ${cfg.defaultMaxRows}, max ${cfg.maxRows}); the row count stays exact`);
  return {
    query: z.object({ sql: sqlArg, params: paramsArg, database: databaseArg, target: targetArg, max_rows: maxRows }),
    approval_status: z.object({
      id: z
        .string({ error: 'id is required: the approval_id a pending query returned' })
        .min(1, 'id must not be empty')
        .max(100, 'id is too long')
        .describe('approval_id returned by a pending query'),
      wait_seconds: z
        .number({ error: 'wait_seconds must be a number' })
        .min(0, 'wait_seconds must be 0 or more')
        .max(cfg.maxWaitSeconds, `wait_seconds is at most ${cfg.maxWaitSeconds}`)
        .optional()
        .describe(`wait up to this many seconds for a decision and execution (0-${cfg.maxWaitSeconds}, default 0 = answer at once)`),
      max_rows: maxRows,
    }),
    list_databases: z.object({}),
    list_tables: z.object({
      database: databaseArg,
      target: targetArg,
      schema: z
        .string({ error: 'schema must be a string' })
        .min(1)
        .max(63)
        .optional()
        .describe('only this schema (default: all user schemas)'),
    }),
    describe_table: z.object({
      table: z
        .string({ error: 'table is required and must be a string' })
        .min(1, 'table must not be empty')
        .max(200, 'table name is too long')
        .describe('table, view or materialized view name; "schema.table" also works'),
      schema: z
        .string({ error: 'schema must be a string' })
        .min(1)
        .max(63)
        .optional()
        .describe('schema of the table (default: the search_path)'),
      database: databaseArg,
      target: targetArg,
    }),
    explain: z.object({
      sql: sqlArg.describe('one statement to plan (without EXPLAIN); it is never executed'),
      params: paramsArg,
      database: databaseArg,
      target: targetArg,
      format: z.enum(['text', 'json'], { error: 'format must be "text" or "json"' }).optional().describe('plan format (default text)'),
    }),
  };
}

export type ToolInputs = ReturnType<typeof inputSchemas>;
export type QueryInput = z.infer<ToolInputs['query']>;
export type ApprovalStatusInput = z.infer<ToolInputs['approval_status']>;
export type ListTablesInput = z.infer<ToolInputs['list_tables']>;
export type DescribeTableInput = z.infer<ToolInputs['describe_table']>;
export type ExplainInput = z.infer<ToolInputs['explain']>;

const rows = z.array(z.record(z.string(), z.unknown()));

export const previewOutput = z.object({
  available: z.boolean(),
  reason: z.string().optional(),
  affected_rows: z.number().optional(),
  rows: rows.optional().describe('sample of the rows the statement would write'),
  before: rows.optional().describe('sample of the rows as they are now (UPDATE)'),
  truncated: z.boolean().optional(),
});

/** One shape for query and approval_status: what happened to a statement. */
export const statementOutput = z.object({
  status: z.enum(['executed', 'pending', 'blocked', 'denied', 'error']),
  database: z.string(),
  decision: z.enum(TIERS).optional(),
  rule: z.string().optional(),
  reason: z.string().optional(),
  command: z.string().optional(),
  row_count: z.number().nullable().optional().describe('exact number of rows the statement returned or affected'),
  columns: z.array(z.string()).optional(),
  rows: rows.optional().describe('untrusted data from the database'),
  truncated: z.boolean().optional().describe('true when rows holds fewer rows than row_count'),
  cap: z
    .object({ limit: z.enum(['maxRows', 'maxResultBytes']), value: z.number() })
    .optional()
    .describe("the agent's limit that cut rows short (max_rows, LIMIT or SET cannot raise it)"),
  approval_id: z.string().optional(),
  approval_status: z.enum(APPROVAL_STATUSES).optional(),
  review_url: z.string().optional(),
  preview: previewOutput.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  note: z.string().optional(),
});
export type StatementOutput = z.infer<typeof statementOutput>;

export const databasesOutput = z.object({
  default_database: z.string(),
  databases: z.array(
    z.object({
      name: z.string(),
      size_bytes: z.number().nullable(),
      comment: nullableString,
      /** the upstream target serving it and the target's label (prod, staging, dev …) */
      target: z.string(),
      label: z.string(),
    }),
  ),
});

export const tableSummary = z.object({
  schema: z.string(),
  name: z.string(),
  kind: z.string(),
  row_estimate: z.number().nullable(),
  comment: nullableString,
});

export const tablesOutput = z.object({ database: z.string(), tables: z.array(tableSummary), truncated: z.boolean() });

export const tableOutput = z.object({
  database: z.string(),
  schema: z.string(),
  name: z.string(),
  kind: z.string(),
  row_estimate: z.number().nullable(),
  comment: nullableString,
  columns: z.array(
    z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), default: nullableString, comment: nullableString }),
  ),
  constraints: z.array(z.object({ name: z.string(), type: z.string(), definition: z.string() })),
  indexes: z.array(z.object({ name: z.string(), unique: z.boolean(), primary: z.boolean(), definition: z.string() })),
});
export type TableOutput = z.infer<typeof tableOutput>;

export const explainOutput = z.object({
  database: z.string(),
  decision: z.enum(TIERS),
  format: z.enum(['text', 'json']),
  plan: z.unknown().describe('plan text (format text) or the JSON plan (format json)'),
});
