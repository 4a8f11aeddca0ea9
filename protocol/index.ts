// The PostgreSQL wire codec: framing, decoders for what the proxy acts on, encoders for what it writes.
export * from './constants.js';
export * from './frame-reader.js';
export * from './frontend-decode.js';
export * from './backend-decode.js';
export * from './backend-encode.js';
export * from './scram.js';
export { serialize as frontendSerialize } from 'pg-protocol';
export * from './frontend-encode.js';
