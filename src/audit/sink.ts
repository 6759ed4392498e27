import type { AuditEvent, AuditRecord } from './record.js';

/**
 * Where audit records go. Every sink seals its own chain (seq, prev, hash) and
 * resolves `append` only once the record is as durable as the sink can make it;
 * a rejection means the record was not kept, and the call it describes must not
 * be answered.
 */
export interface AuditSink {
  /** A short name for messages: `file`, `postgres`, `stderr`. */
  readonly kind: string;
  append(event: AuditEvent): Promise<AuditRecord>;
  /** Waits for pending records, then releases the sink's resources. */
  close(): Promise<void>;
}
