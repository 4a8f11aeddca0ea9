// One logger for library code (no console). Quiet by default in tests and CLI output;
// AIRLOCK_LOG_LEVEL=debug|info|warn turns it up. Logs go to stderr so stdout stays data; every line
// is scrubbed of the vault secrets this process has used.
import { pino, type Logger } from 'pino';
import { scrubText } from './domain/secret-values.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const asked = process.env.AIRLOCK_LOG_LEVEL?.trim().toLowerCase();
// an empty or unknown AIRLOCK_LOG_LEVEL falls back to the default rather than stopping the process
const level = asked && LEVELS.includes(asked) ? asked : process.env.VITEST ? 'silent' : 'info';

export const logger: Logger = pino(
  {
    level,
    base: undefined,
    redact: ['token', 'password', 'secret', '*.token', '*.password', '*.secret'],
    // vault secrets never reach a log line, whatever field or message carries them
    hooks: { streamWrite: scrubText },
  },
  pino.destination(2),
);

export type { Logger };
