// What an approval is bound to: the exact request (SQL text, params, agent, database, role,
// search_path) and, for the full binding, the preview the reviewer saw.
import { createHash } from 'node:crypto';
import type { GatewayRequest } from '../domain/request.js';
import { canonicalJson } from '../domain/canonical-json.js';

/** Identifies "the identical statement" for one-time grants and de-duplication of pending approvals. */
export function requestKey(req: GatewayRequest): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        sql: req.sql,
        params: req.params ?? [],
        agent: req.agent.id,
        database: req.database,
        role: req.session?.role ?? null,
        searchPath: req.session?.searchPath ?? null,
      }),
    )
    .digest('hex');
}

/** "The identical API call": agent, integration, method and canonical arguments. */
export function callKey(agentId: string, call: { integration: string; method: string; args: Record<string, unknown> }): string {
  return createHash('sha256')
    .update(canonicalJson({ kind: 'api', agent: agentId, integration: call.integration, method: call.method, args: call.args }))
    .digest('hex');
}

/** The approval binding: the request plus the digest of the preview that was approved. */
export function approvalBinding(key: string, previewDigest: string | undefined): string {
  return createHash('sha256')
    .update(`${key}\n${previewDigest ?? 'no-preview'}`)
    .digest('hex');
}
