// PostgreSQL's query normalizer (pg_query_normalize, from `@libpg-query/parser`, a second WASM
// module beside the parser's): each constant the parser finds becomes $n, every other byte of the
// text stays as it was. The policy's shape cache keys on it (policy/shape-cache.ts).
let ready: Promise<void> | undefined;
let normalize: ((sql: string) => string) | null = null;

/**
 * Load the normalizer (~0.2 s): the gateway does at start; one-shot commands such as `airlock
 * check` do not, and normalizedText() then answers null.
 */
export function initNormalizer(): Promise<void> {
  ready ??= import('@libpg-query/parser').then(async (m) => {
    await m.loadModule();
    normalize = m.normalizeSync;
  });
  return ready;
}

/** The normalized text, or null when the normalizer is not loaded or cannot read the text. */
export function normalizedText(sql: string): string | null {
  if (normalize === null) return null;
  try {
    return normalize(sql);
  } catch {
    return null;
  }
}

export const isNormalizerReady = (): boolean => normalize !== null;
