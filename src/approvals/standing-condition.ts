// The CEL condition of a standing approval (@bufbuild/cel, as the integrations' argument rules):
// compiled when the rule is made (a bad expression is refused then), evaluated on the facts of each
// request it could approve. Anything but `true` — false, an error, a missing variable (no preview,
// so no `rows_affected`) — means "does not match": the request goes to a reviewer as usual.
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { invalidParameterValue } from '../errors.js';

const env = celEnv();

/** What a condition can read. SQL: params, literals, rows_affected, rows, tables. API: args. */
export interface ConditionFacts {
  params?: unknown[];
  literals?: unknown[];
  rows_affected?: number;
  /** the rows the write would produce (only when the preview holds all of them) */
  rows?: Record<string, unknown>[];
  tables?: string[];
  args?: Record<string, unknown>;
}

/** JSON values as CEL sees them: whole numbers are ints, so `rows_affected <= 10` works as written. */
function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`;
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

export type CompiledCondition = (facts: ConditionFacts) => true | string;

/** Compile; throws 22023 with the parser's message when the text is not CEL. */
export function compileCondition(text: string): CompiledCondition {
  if (typeof text !== 'string' || text.trim() === '' || text.length > 4000) {
    throw invalidParameterValue('a condition must be a CEL expression of 1 to 4000 characters');
  }
  let run: ReturnType<typeof plan>;
  try {
    run = plan(env, parse(text));
  } catch (err) {
    throw invalidParameterValue(`the condition is not valid CEL: ${(err as Error).message}`);
  }
  return (facts) => {
    const vars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(facts)) if (v !== undefined) vars[k] = toCel(v);
    let out: unknown;
    try {
      out = run(vars as never);
    } catch (err) {
      return (err as Error).message ?? String(err);
    }
    if (isCelError(out)) return out.message;
    if (out !== true) return out === false ? 'false' : `gave ${typeof out}, not true or false`;
    return true;
  };
}
