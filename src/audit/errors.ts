/**
 * Local errors of the audit trail: they never go to a client. A server that gets one
 * from `append` must fail the call closed (an unaudited call is not answered).
 */
export type AuditErrorCode =
  /** The last complete record does not parse or does not match its hash (or the key differs). */
  | 'AUDIT_TAIL_CORRUPT'
  /** The head checkpoint is ahead of the log: records were cut from the end. */
  | 'AUDIT_TRUNCATED'
  /** The head checkpoint does not parse, or its signature does not match. */
  | 'AUDIT_HEAD_INVALID'
  /** A write or fsync failed; the sink refuses further appends until reopened. */
  | 'AUDIT_WRITE_FAILED'
  | 'AUDIT_CLOSED'
  /** Another live process holds the folder's writer lock. */
  | 'AUDIT_LOCKED'
  /** The chain index is damaged, cut, or lost an entry of a chain still on disk. */
  | 'AUDIT_INDEX_INVALID';

export class AuditLogError extends Error {
  override readonly name = 'AuditLogError';
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
