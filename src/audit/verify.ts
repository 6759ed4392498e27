import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { GENESIS_HASH, lineHash, type AuditKey } from './chain.js';
import { LOG_FILE, parseRecord } from './file-sink.js';
import { readHead, type HeadReadResult } from './head.js';

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
  /** 1-based line of `audit.jsonl`; 0 when the problem is the head checkpoint itself. */
  readonly line: number;
  readonly seq?: number;
  readonly reason: AuditVerifyReason;
  /** A sentence for a person; carries no record content. */
  readonly detail: string;
}

export type AuditVerifyResult =
  | { readonly ok: true; readonly records: number; readonly gaps: number }
  | { readonly ok: false; readonly records: number; readonly firstBad: AuditVerifyFailure };

export interface AuditVerifyOptions {
  readonly dir: string;
  readonly key?: AuditKey;
}

/**
 * Streams `audit.jsonl` once and checks every record's hash, its link to the one
 * before and its seq, then compares the end of the log with the signed head
 * checkpoint. Stops at the first bad record; `records` counts the good ones before it.
 */
export async function verifyAuditLog(options: AuditVerifyOptions): Promise<AuditVerifyResult> {
  const head = await readHead(options.dir, options.key);
  const scan = new ChainScan(options.key, head);
  const stream = createReadStream(join(options.dir, LOG_FILE), { highWaterMark: 1024 * 1024 });
  let rest = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      let start = 0;
      let newline = data.indexOf(0x0a, start);
      while (newline !== -1) {
        const failure = scan.line(data.toString('utf8', start, newline));
        if (failure) return { ok: false, records: scan.records, firstBad: failure };
        start = newline + 1;
        newline = data.indexOf(0x0a, start);
      }
      data = data.subarray(start);
      rest = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (head.state === 'missing') return { ok: false, records: 0, firstBad: { line: 0, reason: 'LOG_MISSING', detail: `There is no ${LOG_FILE} in this folder.` } };
  } finally {
    stream.destroy();
  }
  if (rest.length > 0) {
    return {
      ok: false,
      records: scan.records,
      firstBad: { line: scan.lineNo + 1, reason: 'TORN_LAST_LINE', detail: `The last line (${rest.length} bytes) has no line end: a write cut short by a crash. The next start repairs it into a gap record.` },
    };
  }
  const failure = scan.end();
  return failure ? { ok: false, records: scan.records, firstBad: failure } : { ok: true, records: scan.records, gaps: scan.gaps };
}

class ChainScan {
  lineNo = 0;
  records = 0;
  gaps = 0;
  private seq = 0;
  private hash = GENESIS_HASH;

  constructor(
    private readonly key: AuditKey | undefined,
    private readonly head: HeadReadResult,
  ) {}

  line(text: string): AuditVerifyFailure | null {
    this.lineNo += 1;
    const line = this.lineNo;
    const record = parseRecord(text);
    if (record === null) return { line, reason: 'UNPARSABLE', detail: 'The line is not a JSON audit record with seq, prev and hash.' };
    const { seq, hash, prev } = record;
    if (lineHash(text, prev, hash, this.key) !== hash) {
      return { line, seq, reason: 'HASH_MISMATCH', detail: 'The record does not match its hash: it was edited, or the log uses a different key.' };
    }
    if (prev !== this.hash) {
      return { line, seq, reason: 'PREV_MISMATCH', detail: `The record does not follow the one before it${line > 1 ? ` (line ${line - 1})` : ''}: a record was deleted, reordered or inserted.` };
    }
    if (seq !== this.seq + 1) {
      return { line, seq, reason: 'SEQ_MISMATCH', detail: `Expected seq ${this.seq + 1}.` };
    }
    if (this.head.state === 'valid' && seq === this.head.head.seq && hash !== this.head.head.hash) {
      return { line, seq, reason: 'HEAD_MISMATCH', detail: 'The head checkpoint names a different record at this seq.' };
    }
    if (record['outcome'] === 'gap') this.gaps += 1;
    this.seq = seq;
    this.hash = hash;
    this.records += 1;
    return null;
  }

  end(): AuditVerifyFailure | null {
    const head = this.head;
    if (head.state === 'invalid') return { line: 0, reason: 'HEAD_INVALID', detail: `The head checkpoint is not valid: ${head.detail}.` };
    if (head.state === 'missing') {
      return this.records === 0 ? null : { line: 0, reason: 'HEAD_MISSING', detail: 'The head checkpoint (audit.head) is missing, so a cut tail could not be detected.' };
    }
    if (head.head.seq > this.seq) {
      return {
        line: this.lineNo + 1,
        seq: this.seq + 1,
        reason: 'TRUNCATED',
        detail: `The log ends at seq ${this.seq} but the head checkpoint says ${head.head.seq}: ${head.head.seq - this.seq} record(s) were removed from the end.`,
      };
    }
    return null;
  }
}
