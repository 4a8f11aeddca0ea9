// OpenAPI schemas (3.0, 3.1, Swagger 2) turned into plain JSON Schema for an argument schema: the
// keywords ajv would reject or that mean nothing for a request are dropped, `nullable` becomes a
// type union, a schema that contains itself (a cycle left by dereferencing: a tree of nodes) is
// expanded once and then accepts anything, and read-only properties are dropped (an agent never
// sends them).

type Json = Record<string, unknown>;

/** Formats ajv-formats knows; any other format is dropped rather than failing the whole definition. */
const KNOWN_FORMATS = new Set([
  ...['date', 'time', 'date-time', 'iso-time', 'iso-date-time', 'duration', 'uri', 'uri-reference', 'uri-template', 'url'],
  ...['email', 'hostname', 'ipv4', 'ipv6', 'regex', 'uuid', 'json-pointer', 'json-pointer-uri-fragment', 'relative-json-pointer'],
  ...['byte', 'int32', 'int64', 'float', 'double', 'password', 'binary'],
]);

/** OpenAPI-only keywords (or annotations of no use to a caller) left out of argument schemas. */
const DROPPED = new Set([
  ...['xml', 'example', 'examples', 'externalDocs', 'discriminator', 'collectionFormat', 'style', 'explode'],
  ...['$defs', 'definitions', 'dependentSchemas', '$id', '$schema', '$anchor', '$dynamicAnchor', '$dynamicRef'],
]);
const DROPPED_ON_PARAMETER = new Set(['in', 'name', 'required', 'schema', 'content', 'allowEmptyValue', 'allowReserved', 'deprecated']);

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const recursive = (what: string) => ({ description: `recursive: ${what} (not expanded again; any value is accepted here)` });

/**
 * A JSON Schema copy of an OpenAPI schema; never mutates the input, and terminates on the object
 * cycles a dereferenced document has (`ancestors`: the schemas being copied above this one).
 */
export function cleanSchema(schema: unknown, opts: { dropReadOnly?: boolean } = {}, ancestors: Set<object> = new Set()): Json {
  if (!isObject(schema)) return {};
  if (ancestors.has(schema)) return recursive(typeof schema.title === 'string' ? schema.title : 'an enclosing schema');
  if (ancestors.size > 64) return { description: '(nested too deeply to import)' };
  if (typeof schema.$ref === 'string') return recursive(schema.$ref); // a reference nothing resolved
  const inner = new Set(ancestors).add(schema);
  const sub = (v: unknown) => cleanSchema(v, opts, inner);
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    if (key === 'format' && (typeof value !== 'string' || !KNOWN_FORMATS.has(value))) continue;
    if (key === 'type' && value === 'file') {
      out.type = 'string';
      continue;
    }
    if (key === 'properties' && isObject(value)) {
      const props: Json = {};
      for (const [name, prop] of Object.entries(value)) {
        if (opts.dropReadOnly && isObject(prop) && prop.readOnly === true) continue;
        props[name] = sub(prop);
      }
      out.properties = props;
    } else if (
      ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else'].includes(key) &&
      isObject(value)
    ) {
      out[key] = sub(value);
    } else if (['allOf', 'anyOf', 'oneOf', 'prefixItems'].includes(key) && Array.isArray(value)) {
      out[key] = value.map(sub);
    } else if (key === 'patternProperties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sub(v)]));
    } else if (key !== 'nullable') {
      out[key] = structuredClone(value);
    }
  }
  if (Array.isArray(out.required) && isObject(out.properties)) {
    const props = out.properties;
    out.required = (out.required as unknown[]).filter((r) => typeof r === 'string' && r in props);
    if (!(out.required as unknown[]).length) delete out.required;
  }
  // OpenAPI 3.0: `nullable: true` is JSON Schema's type union with null
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** The schema of one parameter: OpenAPI 3 `schema` or `content`, or Swagger 2's inline keywords. */
export function parameterSchema(param: Json): Json {
  let schema: Json;
  if (isObject(param.schema)) schema = cleanSchema(param.schema);
  else if (isObject(param.content)) {
    const first = Object.values(param.content).find(isObject);
    schema = cleanSchema(first?.schema);
  } else {
    const inline: Json = {};
    for (const [k, v] of Object.entries(param)) if (!DROPPED_ON_PARAMETER.has(k)) inline[k] = v;
    schema = cleanSchema(inline);
  }
  if (typeof param.description === 'string' && schema.description === undefined) schema.description = param.description;
  return schema;
}

/**
 * The properties of an object body to spread among the arguments, or null when the body is not a
 * plain object (an array, a scalar, a map, a oneOf): then it is passed whole as one argument.
 */
export function objectBody(schema: Json): { properties: Json; required: string[] } | null {
  const parts = Array.isArray(schema.allOf) ? [schema, ...schema.allOf.filter(isObject)] : [schema];
  const properties: Json = {};
  const required: string[] = [];
  for (const part of parts) {
    if (part.oneOf || part.anyOf || part.additionalProperties === true || isObject(part.additionalProperties)) return null;
    if (part.type !== undefined && part.type !== 'object') return null;
    if (isObject(part.properties)) Object.assign(properties, part.properties);
    if (Array.isArray(part.required)) required.push(...part.required.filter((r): r is string => typeof r === 'string'));
  }
  if (!Object.keys(properties).length && schema.type !== 'object') return null;
  return { properties, required: [...new Set(required)].filter((r) => r in properties) };
}

/** Plain text of an OpenAPI description (Stripe writes HTML), first paragraph, at most `max` characters. */
export function shortText(text: unknown, max = 200): string | undefined {
  if (typeof text !== 'string') return undefined;
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .split(/\n\s*\n/)[0]
    .replace(/\s+/g, ' ')
    .trim();
  if (!plain) return undefined;
  return plain.length > max ? `${plain.slice(0, max - 1).trimEnd()}…` : plain;
}
