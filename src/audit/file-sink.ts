import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS_HASH, recordHash, sealRecord, type AuditKey } from './chain.js';
import { AuditLogError } from './errors.js';
import { readHead, signHead, writeHead } from './head.js';
import { acquireWriterLock } from './lock.js';
import type { AuditEvent, AuditRecord } from './record.js';
import { readTailBytes } from './tail-bytes.js';

export const LOG_FILE = 'audit.jsonl';

/** The two methods the sink uses; pino's Logger fits. */
export interface AuditSinkLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditSinkOptions {
  /** Folder of `audit.jsonl` and `audit.head`; created with mode 0700. */
  readonly dir: string;
  /** With a key the chain and head use HMAC-SHA-256, which a forger cannot recompute. */
  readonly key?: AuditKey;
  /** Names the server instance in every record. */
  readonly instance: string;
  readonly log?: AuditSinkLogger;
  /** Most records per group commit (default 4096). */
  readonly maxBatch?: number;
}

export interface AuditSinkStats {
  readonly records: number;
  readonly batches: number;
  /** fdatasync calls on the log: one per batch. */
  readonly logSyncs: number;
  /** fsync calls on the head checkpoint: one per batch. */
  readonly headSyncs: number;
}

interface Pending {
  readonly event: AuditEvent;
  readonly time: string;
  readonly resolve: (record: AuditRecord) => void;
  readonly reject: (error: unknown) => void;
}

interface Tail {
  readonly seq: number;
  readonly hash: string;
  /** Bytes after the last complete line: a write cut short by a crash. */
  readonly tornBytes: number;
  readonly goodLength: number;
}

/**
 * The hash-chained JSON-lines audit log. `append` resolves only once the record is
 * on disk (written and fdatasync'd); appends that arrive while a batch is being
 * written share the next write and sync (group commit). One writer per folder,
 * held by a pid lock file.
 */
export class AuditFileSink {
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failure: AuditLogError | null = null;
  private closed = false;
  private counters = { records: 0, batches: 0, logSyncs: 0, headSyncs: 0 };

  private constructor(
    private readonly handle: FileHandle,
    private readonly options: AuditSinkOptions,
    private lastSeq: number,
    private lastHash: string,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  /** Opens the log, continues its chain, and repairs a torn last line into a gap record. */
  static async open(options: AuditSinkOptions): Promise<AuditFileSink> {
    if (options.instance.length === 0) throw new TypeError('AuditFileSink.open: instance must not be empty');
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, LOG_FILE);
    const releaseLock = await acquireWriterLock(options.dir);
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 0o600);
    } catch (error) {
      await releaseLock();
      throw error;
    }
    try {
      const tail = await readTail(handle, options.key);
      await checkHead(options, tail);
      const sink = new AuditFileSink(handle, options, tail.seq, tail.hash, releaseLock);
      if (tail.tornBytes > 0) {
        await handle.truncate(tail.goodLength);
        options.log?.warn({ path, tornBytes: tail.tornBytes, afterSeq: tail.seq }, 'audit: repaired a torn last line into a gap record');
        await sink.append({
          principal: { id: 'bastion', kind: 'system', role: 'system' },
          correlation_id: randomUUID(),
          decision: 'none',
          outcome: 'gap',
          reason: 'TORN_TAIL_REPAIRED',
          bytes: tail.tornBytes,
        });
      }
      return sink;
    } catch (error) {
      await handle.close();
      await releaseLock();
      throw error;
    }
  }

  /** Resolves with the record once it is durable; rejects if it could not be written. */
  append(event: AuditEvent): Promise<AuditRecord> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AuditLogError('AUDIT_CLOSED', 'The audit log is closed.'));
    return new Promise<AuditRecord>((resolve, reject) => {
      this.queue.push({ event, time: new Date().toISOString(), resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  get stats(): AuditSinkStats {
    return { ...this.counters };
  }

  /** Waits for pending records, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.handle.close();
    await this.releaseLock();
  }

  private async flushLoop(): Promise<void> {
    // Let the appends of the current turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      await this.commit(this.queue.splice(0, this.options.maxBatch ?? 4096));
    }
    this.flushing = null;
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (this.failure) {
      for (const pending of batch) pending.reject(this.failure);
      return;
    }
    let seq = this.lastSeq;
    let prev = this.lastHash;
    const records: AuditRecord[] = [];
    const lines: string[] = [];
    for (const { event, time } of batch) {
      seq += 1;
      // Chain fields last, so an event can never set them.
      const sealed = sealRecord({ ...event, seq, time, instance: this.options.instance, prev }, this.options.key);
      records.push(sealed.record);
      lines.push(sealed.line);
      prev = sealed.record.hash;
    }
    try {
      await writeAll(this.handle, Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
      await this.handle.datasync();
      this.counters.logSyncs += 1;
      this.lastSeq = seq;
      this.lastHash = prev;
      await writeHead(this.options.dir, signHead({ seq, hash: prev, time: new Date().toISOString() }, this.options.key));
      this.counters.headSyncs += 1;
    } catch (error) {
      // The file's end is now unknown: refuse everything until a reopen repairs it.
      this.failure = new AuditLogError('AUDIT_WRITE_FAILED', 'The audit log could not be written; calls are refused until it is reopened.', { cause: error });
      this.options.log?.error({ err: error }, 'audit: write failed; refusing further appends');
      for (const pending of [...batch, ...this.queue.splice(0)]) pending.reject(this.failure);
      return;
    }
    this.counters.records += records.length;
    this.counters.batches += 1;
    records.forEach((record, i) => batch[i]?.resolve(record));
  }
}

async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
    written += bytesWritten;
  }
}

async function readTail(handle: FileHandle, key: AuditKey | undefined): Promise<Tail> {
  const { size } = await handle.stat();
  const { bytes, offset } = await readTailBytes(handle, size, 2);
  const torn = bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a;
  const goodEnd = torn ? bytes.lastIndexOf(0x0a) + 1 : bytes.length;
  const goodLength = offset + goodEnd;
  if (goodEnd === 0) return { seq: 0, hash: GENESIS_HASH, tornBytes: size - goodLength, goodLength };
  const start = goodEnd >= 2 ? bytes.lastIndexOf(0x0a, goodEnd - 2) + 1 : 0;
  const line = bytes.subarray(start, goodEnd - 1).toString('utf8');
  const last = parseRecord(line);
  if (last === null || recordHash(last, key) !== last.hash) {
    throw new AuditLogError(
      'AUDIT_TAIL_CORRUPT',
      'The last record of the audit log is damaged or was written with a different key; run `bastion audit verify` and move the log aside to start a new one.',
    );
  }
  return { seq: last.seq, hash: last.hash, tornBytes: size - goodLength, goodLength };
}

/** A stored line parsed, with its chain fields checked for type. */
export type ParsedRecord = Record<string, unknown> & { readonly seq: number; readonly hash: string; readonly prev: string };

/** A parsed line with the chain fields present, or null. */
export function parseRecord(line: string): ParsedRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const seq = record['seq'];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof record['hash'] !== 'string' || typeof record['prev'] !== 'string') return null;
  return record as ParsedRecord;
}

/** Refuses to write past a head checkpoint that the log does not reach: that is a cut tail, not a crash. */
async function checkHead(options: AuditSinkOptions, tail: Tail): Promise<void> {
  const result = await readHead(options.dir, options.key);
  if (result.state === 'missing') return;
  if (result.state === 'invalid') {
    throw new AuditLogError('AUDIT_HEAD_INVALID', `The audit head checkpoint is not valid: ${result.detail}; run \`bastion audit verify\`.`);
  }
  const { head } = result;
  if (head.seq > tail.seq || (head.seq === tail.seq && head.hash !== tail.hash)) {
    throw new AuditLogError(
      'AUDIT_TRUNCATED',
      `The audit log ends at record ${tail.seq} but its head checkpoint says ${head.seq}: records were removed from the end; run \`bastion audit verify\`.`,
    );
  }
}
