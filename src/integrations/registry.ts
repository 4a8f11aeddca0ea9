// The loaded integrations, compiled once: an ajv validator per method's argument schema, CEL
// conditions, and path templates as matchers for the transparent /proxy route. A definition that
// does not compile (a bad schema or expression) is a clear error naming the integration and key.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ApiMethodFacts } from '../domain/api-call.js';
import { configError, invalidParameterValue, undefinedObject } from '../errors.js';
import { compileCondition } from './conditions.js';
import { httpLine, pathParams, type IntegrationDefinition, type MethodDefinition } from './definition.js';

export interface CompiledMethod {
  integration: IntegrationDefinition;
  name: string;
  def: MethodDefinition;
  verb: string;
  path: string;
  pathParams: string[];
  facts: ApiMethodFacts;
  validate: ValidateFunction;
  /** matches a concrete path to this method's template; the path parameters, decoded */
  match(path: string): Record<string, string> | null;
}

function pathMatcher(template: string): (path: string) => Record<string, string> | null {
  const names = pathParams(template);
  const source = template
    .split(/\{[^}/]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('([^/]+)');
  const re = new RegExp(`^${source}/?$`);
  return (path) => {
    const m = re.exec(path);
    if (!m) return null;
    try {
      return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    } catch {
      return null;
    }
  };
}

export class IntegrationRegistry {
  private readonly methods = new Map<string, CompiledMethod>();
  private readonly byIntegration = new Map<string, CompiledMethod[]>();
  readonly integrations: IntegrationDefinition[];

  constructor(definitions: readonly IntegrationDefinition[]) {
    // coerceTypes: a /proxy query string carries "10" for an integer; the coerced arguments are the ones judged and sent
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false, coerceTypes: true });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    this.integrations = [...definitions];
    for (const integration of definitions) {
      const list: CompiledMethod[] = [];
      for (const [name, def] of Object.entries(integration.methods)) {
        const where = `integration ${integration.name}, methods.${name}`;
        const { verb, path } = httpLine(def);
        const params = pathParams(path);
        let validate: ValidateFunction;
        try {
          validate = ajv.compile(def.params);
        } catch (err) {
          throw configError(`${where}.params: not a valid JSON Schema (${(err as Error).message})`);
        }
        const declared = (def.params as { properties?: Record<string, unknown> }).properties ?? {};
        if (def.bodyArg !== undefined && !(def.bodyArg in declared))
          throw configError(`${where}.bodyArg: "${def.bodyArg}" is not one of the method's params.properties`);
        const conditions = def.rules.map((c, i) => {
          try {
            return compileCondition(c);
          } catch (err) {
            throw configError(`${where}.rules.${i}.when: not a valid CEL expression (${(err as Error).message})`);
          }
        });
        const facts: ApiMethodFacts = { integration: integration.name, method: name, verb, tier: def.tier, conditions };
        const compiled: CompiledMethod = {
          integration,
          name,
          def,
          verb,
          path,
          pathParams: params,
          facts,
          validate,
          match: pathMatcher(path),
        };
        this.methods.set(`${integration.name}\u0000${name}`, compiled);
        list.push(compiled);
      }
      this.byIntegration.set(integration.name, list);
    }
  }

  /** The method, or 404 naming what exists. */
  method(integration: string, method: string): CompiledMethod {
    const list = this.byIntegration.get(integration);
    if (!list) throw undefinedObject(`unknown integration "${integration}"; known: ${[...this.byIntegration.keys()].join(', ') || 'none'}`);
    const m = this.methods.get(`${integration}\u0000${method}`);
    if (!m) throw undefinedObject(`integration "${integration}" has no method "${method}"`);
    return m;
  }

  /** Every method of every integration (MCP tools, `integrations list`). */
  all(): CompiledMethod[] {
    return [...this.methods.values()];
  }

  /** The method a vendor-style request maps to (verb and path template), with its path parameters. */
  route(integration: string, verb: string, path: string): { method: CompiledMethod; pathArgs: Record<string, string> } {
    const list = this.byIntegration.get(integration);
    if (!list) throw undefinedObject(`unknown integration "${integration}"`);
    // literal templates before parameterised ones: /v1/customers/search must not be /v1/customers/{id}
    const ranked = list.filter((m) => m.verb === verb).sort((a, b) => a.pathParams.length - b.pathParams.length);
    for (const m of ranked) {
      const pathArgs = m.match(path);
      if (pathArgs) return { method: m, pathArgs };
    }
    throw undefinedObject(`${verb} ${path} is not a method of integration "${integration}"; unmapped routes are never sent`);
  }
}

/** Arguments checked against the method's schema: 400 naming every problem. */
export function checkArgs(m: CompiledMethod, args: unknown): Record<string, unknown> {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw invalidParameterValue('"args" must be a JSON object');
  if (!m.validate(args)) {
    const problems = (m.validate.errors ?? []).map((e) => `${e.instancePath || '(args)'} ${e.message ?? 'is invalid'}`.trim());
    throw invalidParameterValue(`arguments of ${m.integration.name}.${m.name} do not match its schema: ${problems.join('; ')}`);
  }
  for (const p of m.pathParams) {
    const v = (args as Record<string, unknown>)[p];
    if (typeof v !== 'string' && typeof v !== 'number')
      throw invalidParameterValue(`path parameter "${p}" is required (a string or number)`);
    if (String(v).length === 0) throw invalidParameterValue(`path parameter "${p}" must not be empty`);
  }
  return args as Record<string, unknown>;
}
