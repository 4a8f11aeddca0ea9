// The operations of a dereferenced OpenAPI document turned into integration methods: a name (the
// operationId as written), a tier by verb, and one flat argument schema merging path, query and
// body. The merge rules, where a spec allows more than one reading:
//   - path parameters are always required; query parameters when the spec says so;
//   - header and cookie parameters are left out (the proxy sends only path, query and body);
//   - an object body (JSON or form) has its properties spread among the arguments, required only
//     when the body itself is required; read-only properties are dropped;
//   - a body that is not a plain object, or whose property names clash with a parameter, is passed
//     whole as one `body` argument (`request_body` if a parameter is already called `body`), and
//     the method records it as its `bodyArg`: that argument is sent as the request body itself.
import { integrationSchema, type HTTP_VERBS, type MethodDefinition, type Tier } from './definition.js';
import { cleanSchema, isObject, objectBody, parameterSchema, shortText } from './openapi-schema.js';

type Json = Record<string, unknown>;
type Verb = (typeof HTTP_VERBS)[number];

export const TIER_BY_VERB = { GET: 'auto', HEAD: 'auto', POST: 'ask', PUT: 'ask', PATCH: 'ask', DELETE: 'block' } as const satisfies Record<
  Verb,
  Tier
>;

export interface Operation {
  verb: Verb;
  path: string;
  op: Json;
  pathItem: Json;
}

export type BodyEncoding = 'json' | 'form';

export interface ImportedMethods {
  methods: Record<string, MethodDefinition>;
  /** how the bodies of the imported methods are encoded (an integration has one encoding) */
  encodings: Set<BodyEncoding>;
  /** what was left out, for the log */
  skipped: string[];
}

/** Every operation of `paths` with a verb the proxy supports, in document order. */
export function collectOperations(paths: unknown, skipped: string[]): Operation[] {
  const ops: Operation[] = [];
  for (const [path, pathItem] of Object.entries(isObject(paths) ? paths : {})) {
    if (!isObject(pathItem)) continue;
    for (const [key, op] of Object.entries(pathItem)) {
      const verb = key.toUpperCase();
      if (!isObject(op) || ['parameters', 'servers', 'summary', 'description', '$ref'].includes(key)) continue;
      if (verb in TIER_BY_VERB) ops.push({ verb: verb as Verb, path, op, pathItem });
      else skipped.push(`${verb} ${path}: verb not supported`);
    }
  }
  return ops;
}

const isMethodName = (name: string) => integrationSchema.shape.methods.keyType.safeParse(name).success;

/** "GET /pets/{petId}" → "get_pets_petId" */
export const slug = (verb: string, path: string) =>
  `${verb.toLowerCase()}_${path}`
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/_$/, '');

const sanitize = (name: string) => {
  const s = name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[^A-Za-z]+/, '');
  return (s ? s : `op_${s}`).slice(0, 120);
};

/**
 * Method names, one per operation: valid operationIds exactly as written (first come first served);
 * then, in document order, the others (an invalid operationId with its bad characters replaced by
 * `_`, or a slug of verb and path) with `_2`, `_3`... on a collision.
 */
export function methodNames(ops: Operation[]): string[] {
  const taken = new Set<string>();
  const names: (string | undefined)[] = ops.map((o) => {
    const id = typeof o.op.operationId === 'string' ? o.op.operationId : undefined;
    if (id === undefined || !isMethodName(id) || taken.has(id)) return undefined;
    taken.add(id);
    return id;
  });
  return ops.map((o, i) => {
    if (names[i] !== undefined) return names[i];
    const id = typeof o.op.operationId === 'string' && o.op.operationId ? o.op.operationId : slug(o.verb, o.path);
    const base = sanitize(id);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  });
}

/** Path-level parameters, overridden by operation-level ones with the same name and location. */
function parametersOf(o: Operation): Json[] {
  const all = [
    ...(Array.isArray(o.pathItem.parameters) ? o.pathItem.parameters : []),
    ...(Array.isArray(o.op.parameters) ? o.op.parameters : []),
  ];
  const byKey = new Map<string, Json>();
  for (const p of all.filter(isObject)) byKey.set(`${String(p.in)}:${String(p.name)}`, p);
  return [...byKey.values()];
}

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
const JSONISH = /^(application\/json|application\/[^;]*\+json|\*\/\*)\b/i;

/** The request body's schema, whether it is required and how it is encoded. */
function bodyOf(o: Operation, params: Json[], swagger2: Json | null): { schema: Json; required: boolean; encoding: BodyEncoding } | null {
  if (swagger2) {
    const body = params.find((p) => p.in === 'body');
    if (body) return { schema: cleanSchema(body.schema, { dropReadOnly: true }), required: body.required === true, encoding: 'json' };
    const form = params.filter((p) => p.in === 'formData' && typeof p.name === 'string');
    if (!form.length) return null;
    const properties = Object.fromEntries(form.map((p) => [p.name as string, parameterSchema(p)]));
    const required = form.filter((p) => p.required === true).map((p) => p.name as string);
    return {
      schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
      required: required.length > 0,
      encoding: 'form',
    };
  }
  const rb = o.op.requestBody;
  if (!isObject(rb) || !isObject(rb.content)) return null;
  const types = Object.keys(rb.content);
  const type = types.find((t) => JSONISH.test(t)) ?? types.find((t) => FORM.test(t)) ?? types[0];
  if (type === undefined) return null;
  const media = rb.content[type];
  const schema = cleanSchema(isObject(media) ? media.schema : undefined, { dropReadOnly: true });
  return { schema, required: rb.required === true, encoding: FORM.test(type) ? 'form' : 'json' };
}

/** One method from one operation. */
function methodOf(o: Operation, swagger2: Json | null, encodings: Set<BodyEncoding>, skipped: string[]): MethodDefinition {
  const properties: Json = {};
  const required: string[] = [];
  const query: string[] = [];
  const params = parametersOf(o);
  for (const p of params) {
    const name = typeof p.name === 'string' ? p.name : '';
    if (p.in === 'path' || p.in === 'query') {
      properties[name] = parameterSchema(p);
      if (p.in === 'path' || p.required === true) required.push(name);
      if (p.in === 'query') query.push(name);
    } else if (p.in === 'header' || p.in === 'cookie') {
      skipped.push(`${o.verb} ${o.path}: ${String(p.in)} parameter ${name} left out`);
    }
  }
  for (const name of o.path.match(/\{([^}/]+)\}/g)?.map((m) => m.slice(1, -1)) ?? []) {
    if (!(name in properties)) properties[name] = { type: 'string' }; // a template variable the spec forgot to declare
    if (!required.includes(name)) required.push(name);
  }
  const body = bodyOf(o, params, swagger2);
  let bodyArg: string | undefined;
  if (body) {
    encodings.add(body.encoding);
    const flat = objectBody(body.schema);
    if (flat && !Object.keys(flat.properties).some((k) => k in properties)) {
      Object.assign(properties, flat.properties);
      if (body.required) required.push(...flat.required);
    } else {
      const name = 'body' in properties ? 'request_body' : 'body';
      properties[name] = body.schema;
      bodyArg = name;
      if (body.required) required.push(name);
    }
  }
  const summary = shortText(o.op.summary) ?? shortText(o.op.description);
  const description = o.op.deprecated === true ? `(deprecated) ${summary ?? ''}`.trim() : summary;
  return {
    http: `${o.verb} ${o.path}`,
    ...(description ? { description } : {}),
    params: { type: 'object', properties, ...(required.length ? { required: [...new Set(required)] } : {}), additionalProperties: false },
    tier: TIER_BY_VERB[o.verb],
    rules: [],
    query: o.verb === 'GET' || o.verb === 'HEAD' ? [] : query,
    ...(bodyArg ? { bodyArg } : {}),
  };
}

/** The methods of a dereferenced document (`swagger2` is the document when it is Swagger 2). */
export function importMethods(doc: Json, swagger2: boolean): ImportedMethods {
  const skipped: string[] = [];
  const encodings = new Set<BodyEncoding>();
  const ops = collectOperations(doc.paths, skipped);
  const names = methodNames(ops);
  const methods: Record<string, MethodDefinition> = {};
  ops.forEach((o, i) => {
    methods[names[i]] = methodOf(o, swagger2 ? doc : null, encodings, skipped);
  });
  return { methods, encodings, skipped };
}
