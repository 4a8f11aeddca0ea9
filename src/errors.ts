// Named errors that carry a PostgreSQL SQLSTATE, so every front door can report them
// the same way (ErrorResponse on the wire, isError in MCP, 4xx JSON over HTTP).

export const SqlState = {
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
export const tooManyAttempts = (reason: string) => new AirlockError(reason, SqlState.configurationLimitExceeded, 429);
export const internalError = (reason: string) => new AirlockError(reason, SqlState.internalError, 500);
/** The audit trail cannot record this request durably: nothing runs until it can (fail closed). */
export const auditUnavailable = (reason: string) =>
  new AirlockError(`Airlock is refusing requests: ${reason}; nothing runs unaudited, try again shortly`, SqlState.ioError, 503);

/** Coerce anything thrown into an AirlockError without leaking internals. */
export function asAirlockError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const pgCode = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof pgCode === 'string' && /^[0-9A-Z]{5}$/.test(pgCode)) {
    return new AirlockError(message, pgCode as SqlStateCode, 400);
  }
  return internalError(message);
}
