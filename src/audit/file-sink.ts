import { randomUUID } from 'node:crypto';
import { constants, writeSync } from 'node:fs';
import { lstat, open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LockTimes } from '../util/file-lock.js';
import { ensurePrivateDir, openStateFile } from '../util/private-file.js';
import type { AuditKey } from './chain.js';
import { AuditLogError } from './errors.js';
import { readHead, signHead, writeHead } from './head.js';
import { acquireWriterLock } from './lock.js';
import { listRotatedFiles, LOG_FILE, readChainEnd, readFirstRecord, rotatedFileName, syncDir, type LogTail } from './log-files.js';
import type { AuditEvent, AuditRecord } from './record.js';
import { GroupCommit, sealBatch, type PendingAppend } from './seal-batch.js';
import type { AuditSink } from './sink.js';

export { LOG_FILE, parseRecord, type ParsedRecord } from './log-files.js';

/** The two methods the sink uses; pino's Logger fits. */
export interface AuditSinkLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** When `audit.jsonl` is renamed to `audit-<first seq>.jsonl` and a new one started; the chain runs on. */
export interface AuditRotateOptions {
  /** Rotate before a batch that would take the file past this size (default 256 MiB). */
  readonly maxBytes?: number;
  /** Also rotate at the first batch of each UTC day. */
  readonly daily?: boolean;
}

export interface AuditSinkOptions {
  /** Folder of `audit.jsonl` and `audit.head`; created with mode 0700. */
  readonly dir: string;
  /**
   * The audit folder `dir` lies in (default: `dir`): it and every folder down to `dir`
   * must be this user's own and closed to others' writes, or the sink refuses to open.
   */
  readonly root?: string;
  /** With a key the chain and head use HMAC-SHA-256, which a forger cannot recompute. */
  readonly key?: AuditKey;
  /** Names the server instance in every record. */
  readonly instance: string;
  readonly log?: AuditSinkLogger;
  /** Most records per group commit (default 4096). */
  readonly maxBatch?: number;
  /** true (default): `append` resolves after fdatasync; false: after the write, with the sync following. */
  readonly waitForSync?: boolean;
  /**
   * With waitForSync false: the least time between two syncs (default 100 ms), so a
   * busy server syncs (and writes its head) ten times a second instead of back to back:
   * each sync costs CPU whatever it covers. A close does not wait for it.
   */
  readonly syncIntervalMs?: number;
  /** Without it `audit.jsonl` grows for ever. */
  readonly rotate?: AuditRotateOptions;
  /** The clock of record times and of daily rotation; tests inject one. */
  readonly now?: () => Date;
  /** How long to wait for another live writer of this chain before refusing (default 0: refuse at once). */
  readonly lockWaitMs?: number;
  /** The writer lock's heartbeat and bounds (default LOCK_TIMES); tests inject short ones. */
  readonly lockTimes?: LockTimes;
  /** The `prev` of the first record of a new chain: its chain index entry's genesis (default all zeros). */
  readonly genesis?: string;
}

export interface AuditSinkStats {
  readonly records: number;
  readonly batches: number;
  /** fdatasync calls on the log: one per batch. */
  readonly logSyncs: number;
  /** fsync calls on the head checkpoint: one per batch. */
  readonly headSyncs: number;
  readonly rotations: number;
}

interface Rotation {
  readonly maxBytes: number;
  readonly daily: boolean;
}

/** What the sink knows of the `audit.jsonl` it appends to; meaningless while `size` is 0. */
interface CurrentFile {
  /** Kept in memory: the sink is the chain's only writer. */
  size: number;
  /** Names the file when it is rotated. */
  firstSeq: number;
  /** UTC day (YYYY-MM-DD) of its first record. */
  day: string;
}

const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const EMPTY_FILE: Readonly<CurrentFile> = { size: 0, firstSeq: 0, day: '' };

/**
 * The hash-chained JSON-lines audit log. Appends that arrive together share one
 * write (group commit); a second loop fdatasyncs what was written and then moves
 * the head checkpoint, so the disk's sync latency is not paid once per batch.
 * `append` resolves once the record is written to the file (`waitForSync: false`:
 * it survives a crash or kill -9 of this process) or once it is also fdatasync'd
 * (`waitForSync: true`, the default here: it survives power loss too). One writer
 * per folder (one chain), held by a pid lock file. With `rotate`, full files are renamed aside
 * and the chain continues in a new `audit.jsonl`.
 */
export class AuditFileSink implements AuditSink {
  readonly kind = 'file';
  private syncing: Promise<void> | null = null;
  private syncedSeq: number;
  /** Written records whose appends wait for the sync that covers them (waitForSync). */
  private readonly unsynced: { seq: number; record: AuditRecord; resolve: (record: AuditRecord) => void; reject: (error: unknown) => void }[] = [];
  private failure: AuditLogError | null = null;
  private closed = false;
  private counters = { records: 0, batches: 0, logSyncs: 0, headSyncs: 0, rotations: 0 };
  private readonly now: () => Date;
  private readonly pending: GroupCommit;
  /** Ends the sync loop's pause early (a close). */
  private wake: (() => void) | undefined;

  private constructor(
    private handle: FileHandle,
    private readonly options: AuditSinkOptions,
    private readonly rotation: Rotation | null,
    private file: CurrentFile,
    private lastSeq: number,
    private lastHash: string,
    private readonly releaseLock: () => Promise<void>,
  ) {
    this.now = options.now ?? (() => new Date());
    this.pending = new GroupCommit((batch) => this.commit(batch), options.maxBatch, this.now);
    this.syncedSeq = lastSeq;
  }

  /**
   * Opens the log, continues its chain (from the newest rotated file when `audit.jsonl`
   * is empty or missing), and repairs a torn last line into a gap record.
   */
  static async open(options: AuditSinkOptions): Promise<AuditFileSink> {
    if (options.instance.length === 0) throw new TypeError('AuditFileSink.open: instance must not be empty');
    const rotation = rotationPolicy(options.rotate);
    // Another user who owns or can write a folder of the chain could swap or hide it.
    await ensurePrivateDir(options.dir, 'the audit chains', options.root ?? options.dir);
    const path = join(options.dir, LOG_FILE);
    const releaseLock = await acquireWriterLock(options.dir, options.instance, options.lockWaitMs ?? 0, options.lockTimes);
    let handle: FileHandle;
    try {
      const opened = await openStateFile(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 'the audit log', { forbiddenMode: 0o022 });
      if (opened === undefined) throw new Error(`${path} vanished while it was created`);
      handle = opened;
    } catch (error) {
      await releaseLock();
      throw error;
    }
    try {
      const end = await readChainEnd(options.dir, handle, options.key);
      // An empty chain ends at its genesis, which ties its first record to its entry in the chain index.
      const tail = end.seq === 0 ? { ...end, hash: options.genesis ?? end.hash } : end;
      const headSeq = await checkHead(options, tail);
      const file = rotation && tail.goodLength > 0 ? await describeFile(options, handle, tail.goodLength) : { ...EMPTY_FILE };
      const sink = new AuditFileSink(handle, options, rotation, file, tail.seq, tail.hash, releaseLock);
      // A writer killed before its first checkpoint (or between a write and the next one) left the
      // head behind the records on disk: move it up now, or the chain of a process that never
      // runs again would stay unverifiable. The gap record of a repair moves it by itself.
      if (tail.tornBytes === 0 && tail.seq > headSeq) await sink.checkpoint();
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

  /** Syncs the log and moves the signed head to its last record. */
  private async checkpoint(): Promise<void> {
    await this.handle.datasync();
    await writeHead(this.options.dir, signHead({ seq: this.lastSeq, hash: this.lastHash, time: this.now().toISOString() }, this.options.key));
  }

  /** Resolves with the record once it is written (and synced, with waitForSync); rejects if it could not be. */
  append(event: AuditEvent): Promise<AuditRecord> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AuditLogError('AUDIT_CLOSED', 'The audit log is closed.'));
    return this.pending.push(event);
  }

  get stats(): AuditSinkStats {
    return { ...this.counters };
  }

  /** Waits for pending records, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending.drain();
    this.wake?.();
    await this.syncing;
    await this.handle.close();
    await this.releaseLock();
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    if (this.failure) {
      for (const pending of batch) pending.reject(this.failure);
      return;
    }
    const { records, lines, seq, hash } = sealBatch(batch, { seq: this.lastSeq, hash: this.lastHash }, this.options.instance, this.options.key);
    const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    const day = batch[0]?.time.slice(0, 10) ?? '';
    try {
      if (this.needsRotation(bytes.length, day)) await this.rotate();
      // A few KiB into the page cache: a direct write costs less than a round trip
      // through the thread pool, and the record survives a crash of this process from here.
      writeAllSync(this.handle.fd, bytes);
      if (this.file.size === 0) this.file = { size: 0, firstSeq: this.lastSeq + 1, day };
      this.file.size += bytes.length;
      this.lastSeq = seq;
      this.lastHash = hash;
    } catch (error) {
      this.fail(error, batch);
      return;
    }
    this.counters.records += records.length;
    this.counters.batches += 1;
    if (this.options.waitForSync === false) {
      records.forEach((record, i) => batch[i]?.resolve(record));
    } else {
      records.forEach((record, i) => {
        const pending = batch[i];
        if (pending) this.unsynced.push({ seq: record.seq, record, resolve: pending.resolve, reject: pending.reject });
      });
    }
    this.syncing ??= this.syncLoop();
  }

  /**
   * fdatasync whatever is written, release the appends it covers, then move the
   * signed head to it; again while more was written meanwhile. The head never
   * names a record that is not on disk.
   */
  private async syncLoop(): Promise<void> {
    try {
      const pause = this.options.waitForSync === false ? (this.options.syncIntervalMs ?? 100) : 0;
      while (this.syncedSeq < this.lastSeq && this.failure === null) {
        if (pause > 0 && !this.closed) await this.pauseFor(pause);
        const seq = this.lastSeq;
        const hash = this.lastHash;
        await this.handle.datasync();
        this.counters.logSyncs += 1;
        this.syncedSeq = seq;
        let done = 0;
        while (done < this.unsynced.length && (this.unsynced[done]?.seq ?? Infinity) <= seq) done++;
        for (const waiter of this.unsynced.splice(0, done)) waiter.resolve(waiter.record);
        await writeHead(this.options.dir, signHead({ seq, hash, time: this.now().toISOString() }, this.options.key));
        this.counters.headSyncs += 1;
      }
    } catch (error) {
      this.fail(error, []);
    } finally {
      this.syncing = null;
    }
  }

  /** Waits `ms`, or less if the sink closes meanwhile. */
  private pauseFor(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** The file's end is now unknown: refuse everything until a reopen repairs it. */
  private fail(error: unknown, batch: readonly PendingAppend[]): void {
    this.failure ??= new AuditLogError('AUDIT_WRITE_FAILED', 'The audit log could not be written; calls are refused until it is reopened.', { cause: error });
    this.options.log?.error({ err: error }, 'audit: write failed; refusing further appends');
    for (const pending of [...batch, ...this.pending.takeAll(), ...this.unsynced.splice(0)]) pending.reject(this.failure);
  }

  /** An empty file is never rotated, so a batch larger than maxBytes still gets written. */
  private needsRotation(batchBytes: number, day: string): boolean {
    const { rotation, file } = this;
    if (rotation === null || file.size === 0) return false;
    return file.size + batchBytes > rotation.maxBytes || (rotation.daily && file.day !== day);
  }

  /**
   * Renames `audit.jsonl` to `audit-<its first seq>.jsonl` and starts an empty one. Every
   * batch in the old file is already fdatasync'd and the chain's end is in memory and in
   * audit.head, so a crash at any step leaves the old file in place, or the rotated file
   * with no or an empty `audit.jsonl`: `open` continues the chain from either.
   */
  private async rotate(): Promise<void> {
    const dir = this.options.dir;
    // The old file is synced and its head written before it is renamed and closed.
    await this.syncing;
    if (this.failure) throw this.failure;
    const target = join(dir, rotatedFileName(this.file.firstSeq));
    // rename() replaces silently; a rotated file must never be overwritten.
    if (await exists(target)) throw new Error(`cannot rotate the audit log: ${target} already exists`);
    await rename(join(dir, LOG_FILE), target);
    const fresh = await open(join(dir, LOG_FILE), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, 0o600);
    const old = this.handle;
    this.handle = fresh;
    this.file = { ...EMPTY_FILE };
    await old.close();
    // Both the rename and the new file, before a record is acknowledged from it.
    await syncDir(dir);
    this.counters.rotations += 1;
  }
}

function rotationPolicy(rotate: AuditRotateOptions | undefined): Rotation | null {
  if (rotate === undefined) return null;
  const maxBytes = rotate.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new TypeError('AuditFileSink.open: rotate.maxBytes must be a positive whole number of bytes');
  return { maxBytes, daily: rotate.daily === true };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function writeAllSync(fd: number, buffer: Buffer): void {
  let written = 0;
  while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written);
}

/** The first seq and UTC day of a non-empty `audit.jsonl`, for its rotation. */
async function describeFile(options: AuditSinkOptions, handle: FileHandle, size: number): Promise<CurrentFile> {
  const first = await readFirstRecord(handle);
  const time = first?.['time'];
  const day = typeof time === 'string' && /^\d{4}-\d\d-\d\dT/.test(time) ? time.slice(0, 10) : (options.now?.() ?? new Date()).toISOString().slice(0, 10);
  if (first) return { size, firstSeq: first.seq, day };
  // A damaged first line (verify reports it): a name after the newest rotated file keeps the order.
  options.log?.warn({ path: join(options.dir, LOG_FILE) }, 'audit: the first line of the log is not a record; run `bastion audit verify`');
  const newest = (await listRotatedFiles(options.dir)).at(-1);
  return { size, firstSeq: (newest?.firstSeq ?? 0) + 1, day };
}

/**
 * Refuses to write past a head checkpoint that the log does not reach: that is a cut tail,
 * not a crash. Returns the head's seq (0 without a head).
 */
async function checkHead(options: AuditSinkOptions, tail: LogTail): Promise<number> {
  const result = await readHead(options.dir, options.key);
  if (result.state === 'missing') return 0;
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
  return head.seq;
}
