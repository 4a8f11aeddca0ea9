// The audit trail's public surface.
export { AuditLog, type AuditLogOpenOptions, type AuditLogOptions } from './audit-log.js';
export { toAuditBody } from './events.js';
export { AUDIT_EVENT_TYPES, type AuditEventType, type AuditInput } from '../domain/audit.js';
export { redact, SECRET_KEY } from './redact.js';
export { verifyChain, type VerifyResult } from './verify.js';
export { exportJsonl, exportLine, type ExportFilter } from './export.js';
export { chainHash, GENESIS_HASH } from '../store/chain-hash.js';
export { canonicalJson } from '../domain/canonical-json.js';
