// The audit trail's public surface.
export { AuditLog, type AuditLogOpenOptions, type AuditLogOptions } from './audit-log.js';
export { AUDIT_EVENT_TYPES, toAuditBody, type AuditEventType, type AuditInput } from './events.js';
export { redact, SECRET_KEY } from './redact.js';
export { verifyChain, type VerifyResult } from './verify.js';
export { exportJsonl, exportLine, type ExportFilter } from './export.js';
export { canonicalJson, chainHash, GENESIS_HASH } from '../store/chain-hash.js';
