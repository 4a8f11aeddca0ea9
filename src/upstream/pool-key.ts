// Sub-pool keys: a database and the client's (already filtered) startup settings, so a client only
// ever lands on a server whose session settings equal its own.

export function poolKey(database: string, settings: Record<string, string>): string {
  const parts = Object.keys(settings)
    .sort()
    .map((k) => `${k}=${settings[k]}`);
  return `${database}\u0000${parts.join('\u0000')}`;
}

/** The settings a key was made from (to open a server for a waiter). */
export function settingsFromKey(key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of key.split('\u0000').slice(1)) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}
