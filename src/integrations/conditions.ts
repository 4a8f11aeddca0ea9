// Argument conditions in CEL (@bufbuild/cel), compiled once when the definitions load. Whole JSON
// numbers are passed as CEL ints, so `args.amount > 10000` and `args.count + 1` work as written;
// a result that is not true or false, or an expression that cannot be read on the arguments (a
// missing field, a type mismatch), comes back as an Error and the policy fails closed on it.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { ArgCondition } from '../domain/api-call.js';
import type { MethodDefinition } from './definition.js';

const env = celEnv();

function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** Compile one expression; throws with the parser's message when it is not valid CEL. */
export function compileCondition(c: MethodDefinition['rules'][number]): ArgCondition {
  const run = plan(env, parse(c.when));
  return {
    when: c.when,
    tier: c.tier,
    approvals: c.approvals,
    reason: c.reason,
    test(args) {
      let out: unknown;
      try {
        out = run({ args: toCel(args) as never });
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
      if (isCelError(out)) return new Error(out.message);
      if (typeof out !== 'boolean') return new Error(`the condition gave ${typeof out}, not true or false`);
      return out;
    },
  };
}
