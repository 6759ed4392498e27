import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS_HASH, lineHash, type AuditKey } from './chain.js';
import { HEAD_FILE, readHead, type HeadReadResult } from './head.js';
import { LOG_FILE, openLogFiles, parseRecord } from './log-files.js';

export type AuditVerifyReason =
  | 'UNPARSABLE'
  | 'HASH_MISMATCH'
  | 'PREV_MISMATCH'
  | 'SEQ_MISMATCH'
  | 'TORN_LAST_LINE'
  | 'HEAD_MISMATCH'
  | 'TRUNCATED'
  | 'HEAD_MISSING'
  | 'HEAD_INVALID'
  | 'LOG_MISSING';

export interface AuditVerifyFailure {
  /** The file of the bad record (`audit.jsonl`, `audit-<seq>.jsonl`, or `audit.head`); set by the file log's verifier. */
  readonly file?: string;
  /** 1-based line within `file`; 0 when the problem is the head checkpoint itself. */
  readonly line: number;
  readonly seq?: number;
  readonly reason: AuditVerifyReason;
  /** A sentence for a person; carries no record content. */
  readonly detail: string;
}

export type AuditVerifyResult =
  | { readonly ok: true; readonly records: number; readonly gaps: number }
  | { readonly ok: false; readonly records: number; readonly firstBad: AuditVerifyFailure };

/** How far a verification is, for a progress line; carries no record content. */
export interface AuditVerifyProgress {
  /** Records verified so far. */
  readonly records: number;
  /** Progress in the verifier's own unit: bytes read of the files, or records read of the PostgreSQL chain. */
  readonly done: number;
  /** `done` at the end, when the verifier knows it (the files' size; the head row's seq). */
  readonly total?: number | undefined;
}

export interface AuditVerifyOptions {
  readonly dir: string;
  readonly key?: AuditKey;
  /** The `prev` of the chain's first record, as its entry in the chain index names it (default: the all-zero genesis). */
  readonly genesis?: string;
  /**
   * The chain index lists the chain as created under it, with a head written before its
   * entry: a missing head is then a deletion even when no record is left.
   */
  readonly requireHead?: boolean;
  /** Called after each chunk read (about 1 MiB): a million records take a few seconds. */
  readonly onProgress?: (progress: AuditVerifyProgress) => void;
}

/**
 * Streams the rotated files (in the order of the seq in their names) and then
 * `audit.jsonl` once, as one chain: checks every record's hash, its link to the one
 * before and its seq, then compares the end of the chain with the signed head
 * checkpoint. Stops at the first bad record; `records` counts the good ones before it.
 */
export async function verifyAuditLog(options: AuditVerifyOptions): Promise<AuditVerifyResult> {
  // The head first: it never runs ahead of the records already on disk.
  const head = await readHead(options.dir, options.key);
  const { current, rotated } = await openLogFiles(options.dir);
  if (current === null && rotated.length === 0 && head.state === 'missing') {
    if (options.requireHead === true) {
      const detail = 'The chain index lists this chain, but its files are gone (no log and no head checkpoint): the chain was emptied.';
      return { ok: false, records: 0, firstBad: { file: HEAD_FILE, line: 0, reason: 'HEAD_MISSING', detail } };
    }
    return { ok: false, records: 0, firstBad: { file: LOG_FILE, line: 0, reason: 'LOG_MISSING', detail: `There is no ${LOG_FILE} in this folder.` } };
  }
  const scan = new ChainScan(options.key, head, options.genesis ?? GENESIS_HASH, options.requireHead === true);
  try {
    const read = await progressReporter(options, rotated, current, scan);
    for (const { name, firstSeq } of rotated) {
      scan.startFile(name, firstSeq);
      const failure = await scanFile(await open(join(options.dir, name), 'r'), scan, false, read);
      if (failure) return { ok: false, records: scan.records, firstBad: failure };
    }
    scan.startFile(LOG_FILE, null);
    if (current !== null) {
      const failure = await scanFile(current, scan, true, read);
      if (failure) return { ok: false, records: scan.records, firstBad: failure };
    }
  } finally {
    await current?.close();
  }
  const failure = scan.end();
  return failure ? { ok: false, records: scan.records, firstBad: failure } : { ok: true, records: scan.records, gaps: scan.gaps };
}

type ChunkRead = (bytes: number) => void;

/**
 * With onProgress: a callback counting the bytes read against the size of every file
 * at the start (the newest may grow meanwhile; the progress line caps at 100 %).
 */
async function progressReporter(
  options: AuditVerifyOptions,
  rotated: readonly { name: string }[],
  current: FileHandle | null,
  scan: ChainScan,
): Promise<ChunkRead | undefined> {
  const report = options.onProgress;
  if (report === undefined) return undefined;
  let total = current === null ? 0 : (await current.stat()).size;
  for (const { name } of rotated) total += await stat(join(options.dir, name)).then((s) => s.size, () => 0);
  let done = 0;
  return (bytes) => {
    done += bytes;
    report({ records: scan.records, done, total });
  };
}

/** Streams one file through the scan and closes it. A torn last line is a crash's trace only in the newest file. */
async function scanFile(handle: FileHandle, scan: ChainScan, newest: boolean, read?: ChunkRead): Promise<AuditVerifyFailure | null> {
  const stream = handle.createReadStream({ start: 0, highWaterMark: 1024 * 1024, autoClose: false });
  let rest = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      let start = 0;
      let newline = data.indexOf(0x0a, start);
      while (newline !== -1) {
        const failure = scan.line(data.toString('utf8', start, newline));
        if (failure) return failure;
        start = newline + 1;
        newline = data.indexOf(0x0a, start);
      }
      data = data.subarray(start);
      rest = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
      read?.(chunk.length);
    }
  } finally {
    stream.destroy();
    if (!newest) await handle.close();
  }
  if (rest.length === 0) return null;
  if (newest) {
    return scan.fail('TORN_LAST_LINE', `The last line (${rest.length} bytes) has no line end: a write cut short by a crash. The next start repairs it into a gap record.`);
  }
  return scan.fail('UNPARSABLE', `The last line (${rest.length} bytes) has no line end; only the newest file may end that way after a crash.`);
}

class ChainScan {
  records = 0;
  gaps = 0;
  private file = LOG_FILE;
  private previousFile: string | null = null;
  /** The seq the file's name promises for its first record (rotated files only). */
  private firstSeq: number | null = null;
  private lineNo = 0;
  private seq = 0;
  private hash: string;

  constructor(
    private readonly key: AuditKey | undefined,
    private readonly head: HeadReadResult,
    genesis: string,
    private readonly requireHead: boolean,
  ) {
    this.hash = genesis;
  }

  startFile(name: string, firstSeq: number | null): void {
    if (this.lineNo > 0) this.previousFile = this.file;
    this.file = name;
    this.firstSeq = firstSeq;
    this.lineNo = 0;
  }

  /** A failure at the line after the last one read. */
  fail(reason: AuditVerifyReason, detail: string): AuditVerifyFailure {
    return { file: this.file, line: this.lineNo + 1, reason, detail };
  }

  line(text: string): AuditVerifyFailure | null {
    this.lineNo += 1;
    const { file, lineNo: line } = this;
    const record = parseRecord(text);
    if (record === null) return { file, line, reason: 'UNPARSABLE', detail: 'The line is not a JSON audit record with seq, prev and hash.' };
    const { seq, hash, prev } = record;
    if (lineHash(text, prev, hash, this.key) !== hash) {
      return { file, line, seq, reason: 'HASH_MISMATCH', detail: 'The record does not match its hash: it was edited, or the log uses a different key.' };
    }
    if (prev !== this.hash && this.seq === 0) {
      const detail = 'The first record does not start from the genesis value the chain index names for this chain: the beginning of the chain was removed, or another chain was put in its place.';
      return { file, line, seq, reason: 'PREV_MISMATCH', detail };
    }
    if (prev !== this.hash) {
      return { file, line, seq, reason: 'PREV_MISMATCH', detail: `The record does not follow the one before it${this.before()}: a record or a rotated file was deleted, reordered or inserted.` };
    }
    if (seq !== this.seq + 1) {
      return { file, line, seq, reason: 'SEQ_MISMATCH', detail: `Expected seq ${this.seq + 1}.` };
    }
    if (line === 1 && this.firstSeq !== null && seq !== this.firstSeq) {
      return { file, line, seq, reason: 'SEQ_MISMATCH', detail: `The file name says its first record is seq ${this.firstSeq}: the file was renamed.` };
    }
    if (this.head.state === 'valid' && seq === this.head.head.seq && hash !== this.head.head.hash) {
      return { file, line, seq, reason: 'HEAD_MISMATCH', detail: 'The head checkpoint names a different record at this seq.' };
    }
    if (record['outcome'] === 'gap') this.gaps += 1;
    this.seq = seq;
    this.hash = hash;
    this.records += 1;
    return null;
  }

  private before(): string {
    if (this.lineNo > 1) return ` (line ${this.lineNo - 1})`;
    return this.previousFile === null ? '' : ` (the last line of ${this.previousFile})`;
  }

  end(): AuditVerifyFailure | null {
    const head = this.head;
    if (head.state === 'invalid') return { file: HEAD_FILE, line: 0, reason: 'HEAD_INVALID', detail: `The head checkpoint is not valid: ${head.detail}.` };
    if (head.state === 'missing') {
      return this.records === 0 && !this.requireHead ? null : { file: HEAD_FILE, line: 0, reason: 'HEAD_MISSING', detail: 'The head checkpoint (audit.head) is missing, so a cut tail could not be detected.' };
    }
    if (head.head.seq > this.seq) {
      return {
        ...this.fail('TRUNCATED', `The log ends at seq ${this.seq} but the head checkpoint says ${head.head.seq}: ${head.head.seq - this.seq} record(s) were removed from the end.`),
        seq: this.seq + 1,
      };
    }
    return null;
  }
}
