export { argsShape } from './record.js';
export type { AuditDecision, AuditEvent, AuditOutcome, AuditPrincipal, AuditPrincipalKind, AuditRecord } from './record.js';
export { canonicalJson, GENESIS_HASH, recordHash, type AuditKey } from './chain.js';
export { AuditFileSink, LOG_FILE, type AuditSinkLogger, type AuditSinkOptions, type AuditSinkStats } from './file-sink.js';
export { HEAD_FILE, type AuditHead } from './head.js';
export { LOCK_FILE } from './lock.js';
export { AuditLogError, type AuditErrorCode } from './errors.js';
export { verifyAuditLog, type AuditVerifyFailure, type AuditVerifyOptions, type AuditVerifyReason, type AuditVerifyResult } from './verify.js';
