// The policy for API calls: the method's argument conditions (CEL, first match wins), else its
// default tier; then the operator's rules (per agent, integration, method and time window) as for
// SQL — only stricter unless marked `unsafe`. A condition that cannot be evaluated on the arguments
// is at least ask (fail closed). Pure: the conditions come compiled from the integration loader.
import type { PolicyRule } from '../config/schema.js';
import type { ApiMethodFacts } from '../domain/api-call.js';
import { stricter, type Decision, type Tier } from '../domain/decision.js';
import { windowAllows } from './config-rules.js';

export interface ApiVerdict extends Decision {
  /** reviewers needed when held (from the matching condition), else the approvals default */
  requiredApprovals?: number;
}

function apiRuleMatches(rule: PolicyRule, m: ApiMethodFacts, agent: string | undefined, now?: Date): boolean {
  if (!rule.integrations && !rule.methods) return false; // a SQL rule
  if (rule.databases || rule.kinds || rule.tables || rule.functions) return false;
  if (rule.agents && !(agent && rule.agents.includes(agent))) return false;
  if (rule.integrations && !rule.integrations.some((i) => i === '*' || i === m.integration)) return false;
  if (rule.methods && !rule.methods.some((x) => x === '*' || x === m.method || x === `${m.integration}.${m.method}`)) return false;
  return windowAllows(rule, now);
}

function methodVerdict(m: ApiMethodFacts, args: Record<string, unknown>): ApiVerdict {
  const name = `${m.integration}.${m.method}`;
  for (const c of m.conditions) {
    const hit = c.test(args);
    if (hit instanceof Error) {
      // fail closed: an expression that cannot be read on these arguments never lowers the tier
      const tier = stricter(m.tier, 'ask');
      return verdict(tier, `condition-error`, `${name}: condition \`${c.when}\` could not be evaluated (${hit.message})`);
    }
    if (hit) return { ...verdict(c.tier, `${name}.when`, c.reason ?? `${name}: ${c.when}`), requiredApprovals: c.approvals };
  }
  return verdict(m.tier, `${name}`, `${name} is ${m.tier} by default`);
}

const verdict = (tier: Tier, rule: string, reason: string): ApiVerdict => ({ decision: tier, rule, reason, statements: [] });

/** The verdict for one call. */
export function judgeApiCall(
  m: ApiMethodFacts,
  args: Record<string, unknown>,
  ctx: { agent?: string; rules: readonly PolicyRule[]; now?: Date },
): ApiVerdict {
  let out = methodVerdict(m, args);
  const matching = ctx.rules.filter((r) => apiRuleMatches(r, m, ctx.agent, ctx.now));
  for (const rule of matching.filter((r) => r.unsafe)) {
    out = { ...out, ...verdict(rule.tier, `config.${rule.name}`, rule.reason ?? `rule ${rule.name} (unsafe override)`) };
  }
  for (const rule of matching.filter((r) => !r.unsafe)) {
    const tier = stricter(out.decision, rule.tier);
    if (tier !== out.decision) out = { ...out, ...verdict(tier, `config.${rule.name}`, rule.reason ?? `rule ${rule.name}`) };
  }
  return out;
}

/** Whether an agent may see a method at all (MCP lists only these): not blocked for it with no arguments known. */
export function methodVisible(m: ApiMethodFacts, ctx: { agent?: string; rules: readonly PolicyRule[]; now?: Date }): boolean {
  if (m.tier === 'block' && m.conditions.every((c) => c.tier === 'block')) {
    return ctx.rules.some((r) => r.unsafe && r.tier !== 'block' && apiRuleMatches(r, m, ctx.agent, ctx.now));
  }
  return !ctx.rules.some((r) => !r.unsafe && r.tier === 'block' && apiRuleMatches(r, m, ctx.agent, ctx.now));
}
