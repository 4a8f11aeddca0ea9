// Message type bytes and magic numbers of the PostgreSQL v3 protocol, as char codes.
// Kept as `as const` objects so switch statements compare small integers, not strings.

const c = (s: string) => s.charCodeAt(0);

/** Messages a client (frontend) sends. */
export const Front = {
  query: c('Q'),
  parse: c('P'),
  bind: c('B'),
  describe: c('D'),
  execute: c('E'),
  close: c('C'),
  sync: c('S'),
  flush: c('H'),
  terminate: c('X'),
  copyData: c('d'),
  copyDone: c('c'),
  copyFail: c('f'),
  functionCall: c('F'),
  /** PasswordMessage, SASLInitialResponse and SASLResponse share this byte */
  password: c('p'),
} as const;

/** Messages a server (backend) sends. */
export const Back = {
  authentication: c('R'),
  parameterStatus: c('S'),
  backendKeyData: c('K'),
  readyForQuery: c('Z'),
  errorResponse: c('E'),
  noticeResponse: c('N'),
  rowDescription: c('T'),
  dataRow: c('D'),
  commandComplete: c('C'),
  emptyQuery: c('I'),
  parseComplete: c('1'),
  bindComplete: c('2'),
  closeComplete: c('3'),
  noData: c('n'),
  parameterDescription: c('t'),
  portalSuspended: c('s'),
  copyInResponse: c('G'),
  copyOutResponse: c('H'),
  copyBothResponse: c('W'),
  copyData: c('d'),
  copyDone: c('c'),
  notification: c('A'),
  negotiateProtocolVersion: c('v'),
  functionCallResponse: c('V'),
} as const;

export const AuthCode = {
  ok: 0,
  cleartext: 3,
  md5: 5,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;

/** First int32 after the length in an untyped startup-phase packet. */
export const StartupCode = {
  protocol3: 196608,
  cancel: 80877102,
  ssl: 80877103,
  gssenc: 80877104,
} as const;

export const TxStatus = { idle: c('I'), inTransaction: c('T'), failed: c('E') } as const;
export type TxStatusCode = (typeof TxStatus)[keyof typeof TxStatus];

/** Startup packets are small; PostgreSQL itself refuses anything above 10000 bytes. */
export const MAX_STARTUP_PACKET = 10_000;
