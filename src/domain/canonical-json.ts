// One canonical JSON for the whole project: the audit chain hashes it and approvals bind to it, so its
// bytes must never change.

const skipped = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';

/**
 * JSON with object keys sorted recursively (by UTF-16 code units) and no whitespace: one text
 * per value. Idempotent over a JSON round trip, so a stored event re-hashes to the same bytes.
 */
export function canonicalJson(value: unknown): string {
  // fast path: a plain tree whose keys are already in order serializes the same with the native
  // JSON.stringify (the hot audit events are built that way)
  if (typeof value === 'object' && value !== null && inCanonicalOrder(value, 0)) return JSON.stringify(value);
  return slowCanonicalJson(value);
}

/** True when JSON.stringify(v) is exactly slowCanonicalJson(v): plain objects, sorted keys, no bigint or toJSON. */
function inCanonicalOrder(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'bigint':
      return false;
    case 'object':
      break;
    default:
      return true;
  }
  if (v === null) return true;
  if (depth > 64) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!inCanonicalOrder(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  const o = v as Record<string, unknown>;
  if ('toJSON' in o) return false;
  let prev: string | null = null;
  for (const k in o) {
    if (prev !== null && !(prev < k)) return false;
    if (!inCanonicalOrder(o[k], depth + 1)) return false;
    prev = k;
  }
  return true;
}

function slowCanonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value}"`;
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i) out += ',';
      out += skipped(value[i]) ? 'null' : slowCanonicalJson(value[i]);
    }
    return out + ']';
  }
  const obj = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') return slowCanonicalJson(obj.toJSON());
  let out = '{';
  let first = true;
  for (const key of Object.keys(obj).sort()) {
    const x = obj[key];
    if (skipped(x)) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + slowCanonicalJson(x);
    first = false;
  }
  return out + '}';
}
