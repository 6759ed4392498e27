import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS_HASH, recordHash, type AuditKey } from './chain.js';
import { AuditLogError } from './errors.js';
import { readTailBytes } from './tail-bytes.js';

/** The file the sink appends to; rotated files hold the older part of the same chain. */
export const LOG_FILE = 'audit.jsonl';

/** A file the sink rotated out: `audit-<seq of its first record, 12 digits>.jsonl`. */
export interface RotatedAuditFile {
  readonly name: string;
  readonly firstSeq: number;
}

const ROTATED_NAME = /^audit-(\d{12,})\.jsonl$/;

export function rotatedFileName(firstSeq: number): string {
  return `audit-${String(firstSeq).padStart(12, '0')}.jsonl`;
}

/**
 * The rotated files of a folder, oldest first (by the seq in the name). Only names the
 * sink itself would give count, so `audit-1.jsonl` cannot sort between two real files.
 */
export async function listRotatedFiles(dir: string): Promise<RotatedAuditFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: RotatedAuditFile[] = [];
  for (const name of names) {
    const match = ROTATED_NAME.exec(name);
    const firstSeq = Number(match?.[1]);
    if (match && Number.isSafeInteger(firstSeq) && firstSeq >= 1 && name === rotatedFileName(firstSeq)) files.push({ name, firstSeq });
  }
  return files.sort((a, b) => a.firstSeq - b.firstSeq);
}

/**
 * `audit.jsonl` (null when missing) and the rotated files, taken so that a rotation
 * running meanwhile cannot show one file twice: if the handle turns out to be the
 * newest rotated file, it was renamed between the open and the listing, so look again.
 */
export async function openLogFiles(dir: string): Promise<{ current: FileHandle | null; rotated: RotatedAuditFile[] }> {
  for (let attempt = 0; ; attempt++) {
    const current = await openIfExists(join(dir, LOG_FILE));
    const rotated = await listRotatedFiles(dir);
    const newest = rotated.at(-1);
    if (current === null || newest === undefined || attempt >= 3) return { current, rotated };
    const [mine, theirs] = await Promise.all([current.stat(), stat(join(dir, newest.name)).catch(() => null)]);
    if (theirs === null || mine.ino !== theirs.ino || mine.dev !== theirs.dev) return { current, rotated };
    await current.close();
  }
}

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Makes renames and new files in the folder durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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

/** The end of one log file: its last complete record, and what follows it. */
export interface LogTail {
  /** 0 (and the genesis hash) when the file holds no complete line. */
  readonly seq: number;
  readonly hash: string;
  /** Bytes after the last complete line: a write cut short by a crash. */
  readonly tornBytes: number;
  readonly goodLength: number;
}

/** Reads the last complete record and checks its hash, so a chain is never continued from a forged or foreign record. */
export async function readLogTail(handle: FileHandle, key: AuditKey | undefined): Promise<LogTail> {
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

/** The end of the chain: the last record of `audit.jsonl`, or of the newest rotated file when it has none. */
export async function readChainEnd(dir: string, handle: FileHandle, key: AuditKey | undefined): Promise<LogTail> {
  const tail = await readLogTail(handle, key);
  if (tail.goodLength > 0) return tail;
  const { seq, hash } = await lastRotatedRecord(dir, await listRotatedFiles(dir), key);
  return { ...tail, seq, hash };
}

async function lastRotatedRecord(dir: string, rotated: readonly RotatedAuditFile[], key: AuditKey | undefined): Promise<{ seq: number; hash: string }> {
  for (const { name } of [...rotated].reverse()) {
    const handle = await open(join(dir, name), 'r');
    try {
      const tail = await readLogTail(handle, key);
      if (tail.tornBytes > 0) {
        // The sink rotates only whole, synced batches: a cut line here is damage, not a crash.
        throw new AuditLogError('AUDIT_TAIL_CORRUPT', `The rotated audit file ${name} ends in an incomplete line; run \`bastion audit verify\`.`);
      }
      if (tail.seq > 0) return tail;
    } finally {
      await handle.close();
    }
  }
  return { seq: 0, hash: GENESIS_HASH };
}

const FIRST_LINE_CHUNK = 16 * 1024;

/** The first line of a file as a record; null when the file is empty or the line is not a record. */
export async function readFirstRecord(handle: FileHandle): Promise<ParsedRecord | null> {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const chunk = Buffer.alloc(FIRST_LINE_CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) return null;
    position += bytesRead;
    const newline = chunk.subarray(0, bytesRead).indexOf(0x0a);
    chunks.push(chunk.subarray(0, newline === -1 ? bytesRead : newline));
    if (newline !== -1) return parseRecord(Buffer.concat(chunks).toString('utf8'));
  }
}
