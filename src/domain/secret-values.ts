// The secret values this process has handled (vault secrets injected into API calls): every log
// line, audit event, error and response an agent or reviewer sees is scrubbed of them. Values are
// kept as they are and in their JSON-escaped and URL-encoded forms, longest first, so a secret that
// an upstream echoes back inside a JSON string or a query string is caught as well.
const MASK = '••••';
const MIN_LENGTH = 4;
const values = new Set<string>();
let sorted: string[] = [];

/** Remember a secret value (and its encoded forms) for scrubbing. */
export function registerSecret(value: string): void {
  if (value.length < MIN_LENGTH || values.has(value)) return;
  for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), Buffer.from(value).toString('base64')]) {
    if (form.length >= MIN_LENGTH) values.add(form);
  }
  sorted = [...values].sort((a, b) => b.length - a.length);
}

/** The text with every known secret replaced by ••••. */
export function scrubText(text: string): string {
  if (sorted.length === 0) return text;
  let out = text;
  for (const v of sorted) if (out.includes(v)) out = out.split(v).join(MASK);
  return out;
}

/** A JSON-able value with every string scrubbed (keys included). */
export function scrubValue<T>(value: T): T {
  if (sorted.length === 0) return value;
  return JSON.parse(scrubText(JSON.stringify(value) ?? 'null')) as T;
}

export const SECRET_MASK = MASK;
