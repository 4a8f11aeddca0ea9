// Named errors that carry a PostgreSQL SQLSTATE, so every front door can report them
// the same way (ErrorResponse on the wire, isError in MCP, 4xx JSON over HTTP).
import { randomBytes } from 'node:crypto';
import { logger } from './logger.js';

export const SqlState = {
  idleSessionTimeout: '57P05',
  adminShutdown: '57P01',
  insufficientPrivilege: '42501',
  syntaxError: '42601',
  protocolViolation: '08P01',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  featureNotSupported: '0A000',
  queryCanceled: '57014',
  programLimitExceeded: '54000',
  tooManyConnections: '53300',
  configurationLimitExceeded: '53400',
  connectionFailure: '08006',
  invalidParameterValue: '22023',
  characterNotInRepertoire: '22021',
  undefinedObject: '42704',
  objectNotInPrerequisiteState: '55000',
  serializationFailure: '40001',
  internalError: 'XX000',
  ioError: '58030',
  configFileError: 'F0000',
} as const;
export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

/** An error with a SQLSTATE and an HTTP status, safe to show to the agent. */
export class AirlockError extends Error {
  constructor(
    message: string,
    readonly code: SqlStateCode,
    readonly httpStatus: number,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'AirlockError';
  }
}

export const insufficientPrivilege = (reason: string, detail?: string) =>
  new AirlockError(reason, SqlState.insufficientPrivilege, 403, detail);
export const syntaxError = (reason: string) => new AirlockError(reason, SqlState.syntaxError, 400);
export const protocolViolation = (reason: string) => new AirlockError(reason, SqlState.protocolViolation, 400);
export const invalidPassword = (reason: string) => new AirlockError(reason, SqlState.invalidPassword, 401);
export const invalidAuthorization = (reason: string) => new AirlockError(reason, SqlState.invalidAuthorization, 401);
export const featureNotSupported = (reason: string) => new AirlockError(reason, SqlState.featureNotSupported, 400);
export const queryCanceled = (reason: string) => new AirlockError(reason, SqlState.queryCanceled, 408);
export const programLimitExceeded = (reason: string) => new AirlockError(reason, SqlState.programLimitExceeded, 413);
export const invalidParameterValue = (reason: string) => new AirlockError(reason, SqlState.invalidParameterValue, 400);
export const undefinedObject = (reason: string) => new AirlockError(reason, SqlState.undefinedObject, 404);
export const notInPrerequisiteState = (reason: string) => new AirlockError(reason, SqlState.objectNotInPrerequisiteState, 409);
export const connectionFailure = (reason: string) => new AirlockError(reason, SqlState.connectionFailure, 503);
export const configError = (reason: string) => new AirlockError(reason, SqlState.configFileError, 400);
/** Statement text that is not UTF-8: refused before anything parses it (PostgreSQL must see what Airlock saw). */
export const invalidUtf8 = () =>
  new AirlockError('invalid byte sequence for encoding "UTF8": statement text must be UTF-8', SqlState.characterNotInRepertoire, 400);
/** Too many failed attempts (sign-in throttling): try again after the lock. */
export const tooManyAttempts = (reason: string, retryAfterSeconds?: number) =>
  Object.assign(new AirlockError(reason, SqlState.configurationLimitExceeded, 429), { retryAfterSeconds });
/** The client stopped reading results while holding an upstream connection. */
export const clientStalled = (ms: number) =>
  new AirlockError(
    `the client did not read its results for ${Math.round(ms / 1000)} s; the connection is closed to free the upstream server`,
    SqlState.idleSessionTimeout,
    408,
  );
/** The gateway is shutting down (SIGTERM): the session ends once its statement has finished. */
export const adminShutdown = () =>
  new AirlockError('terminating connection due to administrator command: Airlock is shutting down', SqlState.adminShutdown, 503);
export const internalError = (reason: string) => new AirlockError(reason, SqlState.internalError, 500);
/** The audit trail cannot record this request durably: nothing runs until it can (fail closed). */
export const auditUnavailable = (reason: string) =>
  new AirlockError(`Airlock is refusing requests: ${reason}; nothing runs unaudited, try again shortly`, SqlState.ioError, 503);

/**
 * A failure whose details (addresses, driver messages) are Airlock's business, not the agent's: the
 * agent gets `text` with a request id, the log gets the details under the same id.
 */
export function hiddenFailure(text: string, code: SqlStateCode, status: number, details: Record<string, unknown>): AirlockError {
  const requestId = randomBytes(6).toString('hex');
  logger.error({ requestId, ...details }, `${text} (details hidden from the agent)`);
  return new AirlockError(`${text}; try again shortly (request id ${requestId})`, code, status);
}

/** The upstream database cannot be reached (refused, reset, shut down): no address in the message. */
export const upstreamUnavailable = (details: Record<string, unknown>) =>
  hiddenFailure('the upstream database is unavailable', SqlState.connectionFailure, 503, details);

/** Marks an error thrown by Airlock's own store, so no door shows its details to an agent. */
const STORE_ERROR = Symbol.for('airlock.store-error');
export function markStoreError<T>(err: T): T {
  if (err !== null && typeof err === 'object') (err as Record<symbol, boolean>)[STORE_ERROR] = true;
  return err;
}
const fromStore = (err: unknown) => err !== null && typeof err === 'object' && (err as Record<symbol, unknown>)[STORE_ERROR] === true;

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const isNetwork = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : '';
  return (typeof code === 'string' && NETWORK.has(code)) || /Connection terminated|connection timeout|ECONNREFUSED/i.test(message);
};

/**
 * Coerce anything thrown into an AirlockError for an agent: PostgreSQL's own answer to the agent's
 * SQL (a SQLSTATE from the upstream) passes through; anything else — a store failure, a network
 * error, a bug — becomes a stable code and message with a request id, and its details go to the log.
 */
export function asAirlockError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (!fromStore(err) && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P|XX|58)/.test(code)) {
    return new AirlockError(message, code as SqlStateCode, 400);
  }
  const details = { err: message, code, stack: err instanceof Error ? err.stack : undefined };
  if (fromStore(err)) return hiddenFailure("Airlock's store is unavailable", SqlState.ioError, 503, details);
  if (isNetwork(err) || (typeof code === 'string' && /^(08|57P)/.test(code))) return upstreamUnavailable(details);
  return hiddenFailure('internal error', SqlState.internalError, 500, details);
}
