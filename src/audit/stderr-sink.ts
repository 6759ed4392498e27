import { GENESIS_HASH, sealRecord, type AuditKey } from './chain.js';
import { AuditLogError } from './errors.js';
import type { AuditEvent, AuditRecord } from './record.js';
import { copyEvent } from './seal-batch.js';
import type { AuditSink } from './sink.js';

/** Where the stderr sink writes; process.stderr fits. */
export interface LineWriter {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
}

/**
 * Audit records as JSON lines on stderr, for containers whose log collector keeps
 * them. The chain starts at the genesis value on each start (there is nothing to
 * continue from); `audit: true` tells the records apart from log lines. A record
 * counts as kept once the write has been handed to the stream.
 */
export class AuditStderrSink implements AuditSink {
  readonly kind = 'stderr';
  private seq = 0;
  private prev = GENESIS_HASH;
  private failure: AuditLogError | null = null;
  private closed = false;

  constructor(
    private readonly options: { instance: string; key?: AuditKey; out?: LineWriter },
  ) {}

  append(event: AuditEvent): Promise<AuditRecord> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AuditLogError('AUDIT_CLOSED', 'The audit log is closed.'));
    this.seq += 1;
    const body = copyEvent(event);
    Object.assign(body, { audit: true, seq: this.seq, time: new Date().toISOString(), instance: this.options.instance, prev: this.prev });
    const sealed = sealRecord(body as unknown as Omit<AuditRecord, 'hash'>, this.options.key);
    this.prev = sealed.record.hash;
    const out = this.options.out ?? process.stderr;
    return new Promise((resolve, reject) => {
      out.write(`${sealed.line}\n`, (error) => {
        if (error) {
          this.failure ??= new AuditLogError('AUDIT_WRITE_FAILED', 'The audit records could not be written to stderr.', { cause: error });
          reject(this.failure);
        } else {
          resolve(sealed.record);
        }
      });
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
