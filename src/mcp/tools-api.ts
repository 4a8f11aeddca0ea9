// Integration methods as MCP tools, `{integration}_{method}`: one per method the agent's rules let it
// see, its input schema the method's parameter schema, annotations from the verb and tier (reads
// that run at once are read-only; PUT, PATCH, DELETE and blocked methods are destructive). Calls go through the
// gateway like every other door; `api_approval_status` reports a held call and, once sent, its answer.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ApiCallOutcome } from '../domain/api-call.js';
import type { ApiMethodInfo } from '../gateway/port.js';
import { logger } from '../logger.js';
import type { ToolContext } from './context.js';
import { errorResult } from './results.js';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** HTTP methods whose repetition has no further effect (RFC 9110 §9.2.2) */
const IDEMPOTENT_VERBS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

function outcomeResult(o: ApiCallOutcome): CallToolResult {
  const structured: Record<string, unknown> =
    o.status === 'done'
      ? { status: 'done', response: o.response }
      : o.status === 'pending'
        ? { status: 'pending', approval_id: o.approvalId, review_url: o.reviewUrl, request: o.request }
        : { status: o.status, error: { code: o.error.code, message: o.error.message }, rule: o.decision?.rule };
  if (o.status === 'blocked' || o.status === 'denied' || o.status === 'error') return errorResult(o.error, structured);
  const note =
    o.status === 'pending'
      ? `Held for a human reviewer (approval ${o.approvalId}); nothing was sent. Ask api_approval_status later.\n`
      : '';
  return { content: [{ type: 'text', text: `${note}${JSON.stringify(structured)}` }], structuredContent: structured };
}

function inputSchemaOf(m: ApiMethodInfo): z.ZodType {
  try {
    return z.fromJSONSchema(m.params as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    // a schema zod cannot express: any object here, the gateway checks it with the real schema (ajv)
    return z.object({}).passthrough();
  }
}

export function registerApiTools(server: McpServer, ctx: ToolContext): void {
  const methods = ctx.gateway.apiMethods(ctx.agent);
  if (methods.length === 0) return;
  for (const m of methods) {
    const name = `${m.integration}_${m.method}`;
    if (!TOOL_NAME.test(name)) {
      logger.warn({ tool: name }, 'integration method skipped as an MCP tool: its name is not a valid tool name');
      continue;
    }
    const reads = m.tier === 'auto' && (m.verb === 'GET' || m.verb === 'HEAD');
    server.registerTool(
      name,
      {
        title: `${m.integration}: ${m.method}`,
        description: `${m.description ?? `${m.verb} ${m.path}`} (${m.verb} ${m.path}; ${m.tier === 'auto' ? 'runs at once' : m.tier === 'ask' ? 'held for a human reviewer' : 'blocked'} by default; argument rules may hold it)`,
        inputSchema: inputSchemaOf(m) as never,
        annotations: {
          title: `${m.integration}: ${m.method}`,
          readOnlyHint: reads,
          // PUT and PATCH overwrite, DELETE removes; POST is taken as adding
          destructiveHint: ['PUT', 'PATCH', 'DELETE'].includes(m.verb) || m.tier === 'block',
          idempotentHint: IDEMPOTENT_VERBS.has(m.verb),
          openWorldHint: true,
        },
      },
      ((args: Record<string, unknown>, extra: { requestId: string | number }) =>
        ctx.call(name, m.integration, extra.requestId, async (s) =>
          outcomeResult(
            await ctx.gateway.callApi({
              agent: s.agent,
              door: 'mcp',
              integration: m.integration,
              method: m.method,
              args,
              requestId: s.requestId,
            }),
          ),
        )) as never,
    );
  }
  server.registerTool(
    'api_approval_status',
    {
      title: 'Status of a held API call',
      description: 'The status of an API call held for approval (by approval_id); once approved and sent, the answer it got.',
      inputSchema: { id: z.string().uuid() },
      annotations: {
        title: 'Status of a held API call',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args: { id: string }, extra) =>
      ctx.call('api_approval_status', undefined, extra.requestId, async (s) => {
        const view = await ctx.gateway.apiApproval(args.id, s.agent.id);
        return { content: [{ type: 'text', text: JSON.stringify(view) }], structuredContent: view };
      }),
  );
}
