// One logger for library code (no console). Quiet by default in tests and CLI output;
// AIRLOCK_LOG_LEVEL=debug|info|warn turns it up. Logs go to stderr so stdout stays data.
import { pino, type Logger } from 'pino';

const level = process.env.AIRLOCK_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');

export const logger: Logger = pino(
  { level, base: undefined, redact: ['token', 'password', 'secret', '*.token', '*.password', '*.secret'] },
  pino.destination(2),
);

export type { Logger };
