// The exploration tools: list_databases, list_tables, describe_table. Their catalog SQL goes through
// gateway.query like any agent statement, so it is decided by policy and audited.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { undefinedObject } from '../errors.js';
import type { CallScope, ToolContext } from './context.js';
import { DESCRIPTIONS } from './descriptions.js';
import { statementResult } from './results.js';
import {
  databasesOutput,
  tableOutput,
  tablesOutput,
  type DescribeTableInput,
  type ListTablesInput,
  type TableOutput,
  type ToolInputs,
} from './schemas.js';
import { targetOf } from '../domain/targets.js';
import { DESCRIBE_TABLE_SQL, LIST_DATABASES_SQL, LIST_TABLES_SQL } from './catalog-sql.js';
import { cell, plural, textTable, untrusted } from './format.js';

type Catalog<T> = { ok: true; value: T } | { ok: false; result: CallToolResult };

/** Run one catalog statement and parse its single JSON cell; refusals come back as isError results. */
async function catalog<T>(ctx: ToolContext, s: CallScope, sql: string, params: unknown[]): Promise<Catalog<T | null>> {
  const outcome = await ctx.gateway.query(
    { agent: s.agent, door: 'mcp', database: s.database, sql, params, client: s.client, requestId: s.requestId },
    { maxRows: 1 },
  );
  if (outcome.status !== 'executed') {
    const { structuredContent: _drop, ...rest } = statementResult(outcome, {
      database: s.database,
      maxRows: 10,
      rowCap: 10,
      maxTextChars: ctx.cfg.maxTextChars,
    });
    return { ok: false, result: { ...rest, isError: true } };
  }
  const row = outcome.result.rows[0];
  const raw = row ? Object.values(row)[0] : null;
  return { ok: true, value: typeof raw === 'string' ? (JSON.parse(raw) as T) : null };
}

/** Catalog reads: nothing changes, the same call answers the same while the schema stays. */
const annotations = (title: string) => ({ title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });

/** Register list_databases, list_tables and describe_table. */
export function registerCatalogTools(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  registerListDatabases(server, ctx, inputs);
  registerListTables(server, ctx, inputs);
  registerDescribeTable(server, ctx, inputs);
}

type DatabaseRow = { name: string; size_bytes: number | null; comment: string | null };

/**
 * The default upstream's databases, each with the target that serves it (a database another target
 * lists is served there), then the databases other targets list that the default upstream has not.
 */
function withTargets(config: Parameters<typeof targetOf>[0], rows: DatabaseRow[]) {
  const seen = new Set(rows.map((r) => r.name));
  const others = config.targets.flatMap((t) => t.databases.filter((d) => !seen.has(d)));
  const all = [...rows, ...others.map((name) => ({ name, size_bytes: null, comment: null }))];
  return all.map((r) => {
    const t = targetOf(config, r.name);
    return { ...r, target: t.name, label: t.label };
  });
}

function registerListDatabases(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  server.registerTool(
    'list_databases',
    {
      title: 'List databases',
      description: DESCRIPTIONS.list_databases,
      inputSchema: inputs.list_databases,
      outputSchema: databasesOutput,
      annotations: annotations('List databases'),
    },
    (_args, extra) =>
      ctx.call('list_databases', undefined, extra.requestId, async (s) => {
        const r = await catalog<{ name: string; size_bytes: number | null; comment: string | null }[]>(ctx, s, LIST_DATABASES_SQL, []);
        if (!r.ok) return r.result;
        const databases = withTargets(ctx.gateway.config, r.value ?? []);
        const table = textTable(['name', 'target', 'label', 'size_bytes', 'comment'], databases, ctx.cfg.maxTextChars);
        return {
          content: [
            { type: 'text', text: `${plural(databases.length, 'database')}; default: ${ctx.defaultDatabase}\n${untrusted(table.text)}` },
          ],
          structuredContent: { default_database: ctx.defaultDatabase, databases },
        };
      }),
  );
}

function registerListTables(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  server.registerTool(
    'list_tables',
    {
      title: 'List tables',
      description: DESCRIPTIONS.list_tables,
      inputSchema: inputs.list_tables,
      outputSchema: tablesOutput,
      annotations: annotations('List tables'),
    },
    (args: ListTablesInput, extra) =>
      ctx.call('list_tables', { database: args.database, target: args.target }, extra.requestId, async (s) => {
        const limit = ctx.cfg.maxRows;
        const r = await catalog<{ schema: string; name: string; kind: string; row_estimate: number | null; comment: string | null }[]>(
          ctx,
          s,
          LIST_TABLES_SQL,
          [args.schema ?? null, limit + 1],
        );
        if (!r.ok) return r.result;
        const all = r.value ?? [];
        const truncated = all.length > limit;
        const tables = truncated ? all.slice(0, limit) : all;
        const head = `${plural(tables.length, 'relation')} in database ${s.database}${args.schema ? `, schema ${args.schema}` : ''}${truncated ? ` (first ${limit}; pass schema to narrow)` : ''}`;
        const table = textTable(['schema', 'name', 'kind', 'row_estimate', 'comment'], tables, ctx.cfg.maxTextChars);
        return {
          content: [{ type: 'text', text: `${head}\n${untrusted(table.text)}` }],
          structuredContent: { database: s.database, tables, truncated },
        };
      }),
  );
}

function registerDescribeTable(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  server.registerTool(
    'describe_table',
    {
      title: 'Describe a table',
      description: DESCRIPTIONS.describe_table,
      inputSchema: inputs.describe_table,
      outputSchema: tableOutput,
      annotations: annotations('Describe a table'),
    },
    (args: DescribeTableInput, extra) =>
      ctx.call('describe_table', { database: args.database, target: args.target }, extra.requestId, async (s) => {
        for (const [schema, name] of candidates(args)) {
          const r = await catalog<Omit<TableOutput, 'database'>>(ctx, s, DESCRIBE_TABLE_SQL, [schema, name]);
          if (!r.ok) return r.result;
          if (r.value) {
            const out: TableOutput = { database: s.database, ...r.value };
            return { content: [{ type: 'text', text: describeText(out) }], structuredContent: out };
          }
        }
        const where = args.schema ? `schema ${args.schema}` : 'the search_path';
        throw undefinedObject(
          `table ${JSON.stringify(args.table)} not found in ${where} of database ${s.database}; use list_tables to see what exists`,
        );
      }),
  );
}

/** (schema, name) pairs to try: as given, then "schema.table" split at the first dot. */
function candidates(args: DescribeTableInput): [string | null, string][] {
  const out: [string | null, string][] = [[args.schema ?? null, args.table]];
  const dot = args.table.indexOf('.');
  if (!args.schema && dot > 0 && dot < args.table.length - 1) out.push([args.table.slice(0, dot), args.table.slice(dot + 1)]);
  return out;
}

function describeText(t: TableOutput): string {
  const lines = [
    `${t.kind} ${t.schema}.${t.name} in database ${t.database}; about ${t.row_estimate ?? 'unknown (never analyzed)'} rows${t.comment ? `; comment: ${cell(t.comment)}` : ''}`,
    'columns:',
    ...t.columns.map(
      (c) =>
        `- ${cell(c.name)} ${c.type}${c.nullable ? '' : ' NOT NULL'}${c.default !== null ? ` DEFAULT ${cell(c.default)}` : ''}${c.comment ? ` -- ${cell(c.comment)}` : ''}`,
    ),
  ];
  if (t.constraints.length) lines.push('constraints:', ...t.constraints.map((k) => `- ${cell(k.name)} ${k.type}: ${cell(k.definition)}`));
  if (t.indexes.length) lines.push('indexes:', ...t.indexes.map((i) => `- ${cell(i.definition)}`));
  return untrusted(lines.join('\n'));
}
