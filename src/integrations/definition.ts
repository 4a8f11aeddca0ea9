// The shape of one integration definition (one YAML file per integration under integrations/ or a
// folder given to `airlock serve --integrations`): the single source of truth, validated with zod
// so an error names the file and the key. Argument schemas are JSON Schema (checked with ajv at
// load); conditions are CEL expressions over `args` (compiled at load with @bufbuild/cel).
import { z } from 'zod';

export const TIERS = ['auto', 'ask', 'block'] as const;
export const HTTP_VERBS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

export const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  /** Authorization: Bearer <secret> */
  z.object({ type: z.literal('bearer'), secret: z.string().min(1) }).strict(),
  /** Authorization: Basic base64(username:secret), or base64(secret) when the secret is "user:password" */
  z.object({ type: z.literal('basic'), secret: z.string().min(1), username: z.string().optional() }).strict(),
  /** <name>: <prefix><secret> */
  z.object({ type: z.literal('header'), name: z.string().min(1), secret: z.string().min(1), prefix: z.string().default('') }).strict(),
  /** ?<name>=<secret> */
  z.object({ type: z.literal('query'), name: z.string().min(1), secret: z.string().min(1) }).strict(),
]);

/** A condition on the arguments: when the CEL expression is true, this tier applies (first match wins). */
export const conditionSchema = z
  .object({
    when: z.string().min(1),
    tier: z.enum(TIERS),
    /** reviewers needed when the tier is ask (default: approvals.requiredApprovals) */
    approvals: z.number().int().min(1).max(5).optional(),
    reason: z.string().optional(),
  })
  .strict();

export const methodSchema = z
  .object({
    /** "VERB /path/{param}", e.g. "POST /v1/refunds" or "DELETE /v1/customers/{id}" */
    http: z.string().regex(/^(GET|HEAD|POST|PUT|PATCH|DELETE) \/\S*$/, 'expected "VERB /path", e.g. "GET /v1/customers/{id}"'),
    description: z.string().optional(),
    /** JSON Schema of the arguments (an object); path parameters must be among its properties */
    params: z.record(z.string(), z.unknown()).default({ type: 'object' }),
    tier: z.enum(TIERS),
    /** conditions on the arguments, tried in order before the method's tier */
    rules: z.array(conditionSchema).default([]),
    /** safe to send again after a failure (default: GET, HEAD, PUT, DELETE) */
    idempotent: z.boolean().optional(),
    /** arguments sent in the query string even for POST/PUT/PATCH */
    query: z.array(z.string()).default([]),
    /** a GraphQL API: the body is {"query": <this text>, "variables": <the arguments>} */
    graphql: z.string().optional(),
    /**
     * the argument sent as the whole JSON body (a body that is not an object's properties, e.g. an
     * array, or one whose property names clash with a parameter); the other arguments go to the path and query
     */
    bodyArg: z.string().optional(),
  })
  .strict();

export const integrationSchema = z
  .object({
    name: z.string().regex(NAME, 'lower case letters, digits and _ (starting with a letter)'),
    title: z.string().optional(),
    description: z.string().optional(),
    baseUrl: z.string().url(),
    auth: authSchema.default({ type: 'none' }),
    /** how a body is sent: JSON, or form-encoded (Stripe) */
    bodyEncoding: z.enum(['json', 'form']).default('json'),
    /** a header carrying the approval id, so a repeated send is one operation upstream (Stripe: Idempotency-Key) */
    idempotencyHeader: z.string().optional(),
    /** extra headers sent on every call (never secrets: those go through auth) */
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().positive().default(15_000),
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024),
    /** where an imported definition came from */
    source: z.object({ openapi: z.string(), sha256: z.string() }).strict().optional(),
    methods: z.record(z.string().regex(METHOD_NAME, 'a method name: letters, digits, _ . -'), methodSchema),
  })
  .strict();

export type IntegrationAuth = z.infer<typeof authSchema>;
export type MethodDefinition = z.infer<typeof methodSchema>;
export type IntegrationDefinition = z.infer<typeof integrationSchema>;
export type Tier = (typeof TIERS)[number];

/** The verb and path template of a method's `http` line. */
export function httpLine(m: Pick<MethodDefinition, 'http'>): { verb: (typeof HTTP_VERBS)[number]; path: string } {
  const i = m.http.indexOf(' ');
  return { verb: m.http.slice(0, i) as (typeof HTTP_VERBS)[number], path: m.http.slice(i + 1) };
}

/** The path parameters a template names, in order: "/v1/customers/{id}" → ["id"]. */
export function pathParams(template: string): string[] {
  return [...template.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1]);
}

/** Whether a method may be sent again after a failure. */
export function isIdempotent(m: MethodDefinition): boolean {
  return m.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(httpLine(m).verb);
}
