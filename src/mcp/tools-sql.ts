// The SQL tools: query (auto runs, ask is held, block is refused), approval_status (the outcome of
// a held statement, long-polled), and explain (plain EXPLAIN of one statement, decided by policy).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { featureNotSupported } from '../errors.js';
import type { ToolContext } from './context.js';
import { DESCRIPTIONS } from './descriptions.js';
import { errorResult, statementResult } from './results.js';
import {
  explainOutput,
  statementOutput,
  type ApprovalStatusInput,
  type ExplainInput,
  type QueryInput,
  type ToolInputs,
} from './schemas.js';
import { untrusted } from './format.js';

/** A refusal for tools whose output schema cannot carry a statement outcome. */
function plainError(result: CallToolResult): CallToolResult {
  const { structuredContent: _drop, ...rest } = result;
  return { ...rest, isError: true };
}

/** Register query, approval_status and explain. */
export function registerSqlTools(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  registerQuery(server, ctx, inputs);
  registerApprovalStatus(server, ctx, inputs);
  registerExplain(server, ctx, inputs);
}

function registerQuery(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  server.registerTool(
    'query',
    {
      title: 'Run SQL (guarded)',
      description: DESCRIPTIONS.query,
      inputSchema: inputs.query,
      outputSchema: statementOutput,
      // an approved UPDATE, MERGE or ALTER overwrites what was there (DROP, DELETE and TRUNCATE never run)
      annotations: { title: 'Run SQL (guarded)', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    (args: QueryInput, extra) =>
      ctx.call('query', { database: args.database, target: args.target }, extra.requestId, async (s) => {
        const maxRows = args.max_rows ?? ctx.cfg.defaultMaxRows;
        const outcome = await ctx.gateway.query(
          {
            agent: s.agent,
            door: 'mcp',
            database: s.database,
            sql: args.sql,
            params: args.params,
            client: s.client,
            requestId: s.requestId,
          },
          { maxRows },
        );
        return statementResult(outcome, { database: s.database, maxRows, rowCap: ctx.cfg.maxRows, maxTextChars: ctx.cfg.maxTextChars });
      }),
  );
}

function registerApprovalStatus(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  server.registerTool(
    'approval_status',
    {
      title: 'Status of a held statement',
      description: DESCRIPTIONS.approval_status,
      inputSchema: inputs.approval_status,
      outputSchema: statementOutput,
      annotations: {
        title: 'Status of a held statement',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args: ApprovalStatusInput, extra) =>
      ctx.call('approval_status', undefined, extra.requestId, async (s) => {
        const waitMs = Math.round((args.wait_seconds ?? 0) * 1000);
        const { record: rec, outcome } = await ctx.gateway.approvalStatus(args.id, s.agent.id, waitMs, extra.signal);
        const maxRows = args.max_rows ?? ctx.cfg.defaultMaxRows;
        return statementResult(outcome, {
          database: rec.database,
          maxRows,
          rowCap: ctx.cfg.maxRows,
          maxTextChars: ctx.cfg.maxTextChars,
          approvalStatus: rec.status,
        });
      }),
  );
}

function registerExplain(server: McpServer, ctx: ToolContext, inputs: ToolInputs): void {
  server.registerTool(
    'explain',
    {
      title: 'Query plan (never executes)',
      description: DESCRIPTIONS.explain,
      inputSchema: inputs.explain,
      outputSchema: explainOutput,
      // plain EXPLAIN plans and never runs the statement (ANALYZE is refused)
      annotations: {
        title: 'Query plan (never executes)',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args: ExplainInput, extra) =>
      ctx.call('explain', { database: args.database, target: args.target }, extra.requestId, async (s) => {
        const format = args.format ?? 'text';
        const wrapped = explainText(ctx, args.sql, format);
        if ('error' in wrapped) return errorResult(wrapped.error);
        const outcome = await ctx.gateway.query(
          {
            agent: s.agent,
            door: 'mcp',
            database: s.database,
            sql: wrapped.sql,
            params: args.params,
            client: s.client,
            requestId: s.requestId,
          },
          { maxRows: 100_000 },
        );
        if (outcome.status !== 'executed') {
          return plainError(
            statementResult(outcome, { database: s.database, maxRows: 10, rowCap: ctx.cfg.maxRows, maxTextChars: ctx.cfg.maxTextChars }),
          );
        }
        const lines = outcome.result.rows.map((r) => String(Object.values(r)[0] ?? ''));
        const text = lines.join('\n');
        const plan = format === 'json' ? JSON.parse(text) : text;
        return {
          content: [
            {
              type: 'text',
              text: `Plan (EXPLAIN, not executed; ${outcome.decision.decision} by ${outcome.decision.rule}):\n${untrusted(text)}`,
            },
          ],
          structuredContent: { database: s.database, decision: outcome.decision.decision, format, plan },
        };
      }),
  );
}

/**
 * `EXPLAIN (FORMAT x) <statement>`, only when the input is exactly one statement that is not
 * itself an EXPLAIN, and the wrapped text still parses as exactly one EXPLAIN. The policy then
 * decides the wrapped text like any other statement.
 */
export function explainText(
  ctx: ToolContext,
  sql: string,
  format: 'text' | 'json',
): { sql: string } | { error: ReturnType<typeof featureNotSupported> } {
  // the policy's own statement split and kinds (no audit): a parse error has no statements
  const input = ctx.gateway.check(sql);
  const parsed = (d: { rule: string }) => d.rule !== 'parse-error';
  if (parsed(input) && input.statements.length !== 1) {
    return { error: featureNotSupported(`explain takes exactly one statement; got ${input.statements.length}. Send them one at a time.`) };
  }
  if (input.statements[0]?.kind === 'explain') {
    return {
      error: featureNotSupported('pass the statement without EXPLAIN; the explain tool adds plain EXPLAIN itself (ANALYZE is never run)'),
    };
  }
  const wrapped = `EXPLAIN (FORMAT ${format.toUpperCase()}) ${sql}`;
  const check = ctx.gateway.check(wrapped);
  if (parsed(check) && (check.statements.length !== 1 || check.statements[0].kind !== 'explain')) {
    return {
      error: featureNotSupported(
        'explain takes exactly one plannable statement (SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, CREATE TABLE AS)',
      ),
    };
  }
  // unparseable input stays unparseable after wrapping: the policy refuses it with the parser's message
  return { sql: wrapped };
}
