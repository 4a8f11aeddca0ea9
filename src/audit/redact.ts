// Audit events never contain secrets: keys that name a credential are dropped, at any depth,
// before the event is queued (and so before it is hashed, stored or exported).

/** Key names that carry credentials (token, password, secret, authorization, api key, cookie...). */
export const SECRET_KEY = /token|passw(or)?d|^pwd$|secret|authori[sz]ation|api[-_]?key|cookie|credential|private[-_]?key/i;

const MAX_DEPTH = 32;

/** A JSON-safe deep copy of value without secret-named keys; cycles and odd types made inert. */
export function redact(value: unknown): unknown {
  return copy(value, 0, new WeakSet<object>());
}

function copy(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(obj)) return '[circular]';
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Uint8Array) return { $bytes: obj.byteLength };
  if (obj instanceof Error) {
    const code = (obj as { code?: unknown }).code;
    return { name: obj.name, message: obj.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((x) => copy(x, depth + 1, seen) ?? null);
    if (obj instanceof Map) return copy(Object.fromEntries(obj), depth, seen);
    if (obj instanceof Set) return copy([...obj], depth, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (SECRET_KEY.test(k)) continue;
      const c = copy(v, depth + 1, seen);
      if (c !== undefined) out[k] = c;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
