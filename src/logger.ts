// One logger for library code (no console). Quiet by default in tests and CLI output;
// AIRLOCK_LOG_LEVEL=debug|info|warn turns it up. Logs go to stderr so stdout stays data; every line
// is scrubbed of the vault secrets this process has used.
//
// pino is loaded on the first use of the logger, not when this module is imported: a short command
// that never logs (`airlock check`, run once per file by a hook) does not pay the ~20 ms its module
// graph takes to load. The level is read from AIRLOCK_LOG_LEVEL at that moment.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { scrubText } from './domain/secret-values.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function levelFromEnv(): string {
  const asked = process.env.AIRLOCK_LOG_LEVEL?.trim().toLowerCase();
  // an empty or unknown AIRLOCK_LOG_LEVEL falls back to the default rather than stopping the process
  return asked && LEVELS.includes(asked) ? asked : process.env.VITEST ? 'silent' : 'info';
}

let real: Logger | undefined;

function open(): Logger {
  if (real) return real;
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
  real = pino(
    {
      level: levelFromEnv(),
      base: undefined,
      redact: ['token', 'password', 'secret', '*.token', '*.password', '*.secret'],
      // vault secrets never reach a log line, whatever field or message carries them
      hooks: { streamWrite: scrubText },
    },
    pino.destination(2),
  );
  return real;
}

/** The process's logger: every property and method is the pino logger's, made on first use. */
export const logger: Logger = new Proxy({} as Logger, {
  get(_, key) {
    const l = open();
    const v: unknown = Reflect.get(l, key, l);
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(l) : v;
  },
  set: (_, key, value) => {
    debugOn = undefined;
    return Reflect.set(open(), key, value);
  },
});

const DEBUG = 20;
let debugOn: boolean | undefined;

/** Whether debug lines are written: for per-message paths, which the proxy's property lookups would slow. */
export function debugEnabled(): boolean {
  return (debugOn ??= open().levelVal <= DEBUG);
}

/** Sets the level: now if the logger is open, else when it opens (through AIRLOCK_LOG_LEVEL, which worker threads read too). */
export function setLogLevel(level: string): void {
  process.env.AIRLOCK_LOG_LEVEL = level;
  debugOn = undefined;
  if (real) real.level = level;
}

export type { Logger };
