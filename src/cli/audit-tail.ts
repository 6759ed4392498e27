import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { listAuditChains, type AuditChainLocation } from '../audit/chains.js';
import { LOG_FILE, openLogFiles, readFirstRecord, type RotatedAuditFile } from '../audit/log-files.js';
import { readTailBytes } from '../audit/tail-bytes.js';
import { BastionError } from '../errors/codes.js';
import { formatAuditLine, printable } from './audit-format.js';

const POLL_MS = 250;

/**
 * `bastion audit tail`: the last `count` records of every chain in the folder, merged
 * by time; with `follow`, what any chain writes next, and chains that appear later
 * (a server started meanwhile) from their first record. With more than one chain each
 * line names its instance.
 */
export async function tailAudit(dir: string, count: number, follow: boolean, signal: AbortSignal | undefined): Promise<void> {
  const chains = await listAuditChains(dir);
  if (chains.length === 0) throw new BastionError('INVALID_ARGUMENT', `No audit log in ${printable(dir)}.`);
  const followers = new Map<string, ChainFollower>();
  try {
    const lines: string[] = [];
    for (const chain of chains) {
      const { follower, last } = await ChainFollower.fromEnd(chain, count);
      followers.set(chain.dir, follower);
      lines.push(...last);
    }
    print(byTime(lines).slice(Math.max(0, lines.length - count)), followers.size > 1);
    if (!follow) return;
    while (await pause(signal)) {
      const fresh: string[] = [];
      for (const chain of await listAuditChains(dir)) {
        if (followers.has(chain.dir)) continue;
        followers.set(chain.dir, ChainFollower.fromStart(chain));
        notice(`following the new chain ${printable(chain.instance ?? dir)}`);
      }
      for (const follower of followers.values()) fresh.push(...(await follower.poll()));
      print(byTime(fresh), followers.size > 1);
    }
  } finally {
    for (const follower of followers.values()) await follower.close();
  }
}

function print(lines: readonly string[], withInstance: boolean): void {
  for (const line of lines) process.stdout.write(`${formatAuditLine(line, { withInstance })}\n`);
}

/** Lines in order of their records' time; a stable sort, so one chain's lines keep their order. */
function byTime(lines: string[]): string[] {
  const keyed = lines.map((line) => ({ line, time: timeOf(line) }));
  keyed.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return keyed.map((k) => k.line);
}

function timeOf(line: string): string {
  try {
    const time = (JSON.parse(line) as { time?: unknown }).time;
    return typeof time === 'string' ? time : '';
  } catch {
    return '';
  }
}

/** An open log file; the handle stays on its inode when the file is renamed, so a rotated file can be read to its end. */
interface Reading {
  readonly handle: FileHandle;
  readonly ino: number;
  /** The end of the last complete line read: a line still being written is read again whole. */
  position: number;
}

/**
 * One chain, read like `tail -F` that survives rotation: when `audit.jsonl` is replaced
 * (another inode, or gone), the old file is read to its end, then every file rotated
 * since it, then the new `audit.jsonl` from its start, so no record is skipped even
 * when several rotations happen between two polls.
 */
class ChainFollower {
  private constructor(
    private readonly chain: AuditChainLocation,
    private reading: Reading | null,
    /** The first seq of the newest rotated file already read: later ones are new. */
    private readSeq: number,
  ) {}

  /** Reads back the last `count` records across rotated files; follows from there. */
  static async fromEnd(chain: AuditChainLocation, count: number): Promise<{ follower: ChainFollower; last: string[] }> {
    const { current, rotated } = await openLogFiles(chain.dir);
    try {
      const newest = current ? await lastLines(current, count) : { lines: [], end: 0 };
      const reading = current ? { handle: current, ino: (await current.stat()).ino, position: newest.end } : null;
      const older = await lastRotatedLines(chain.dir, rotated, count - newest.lines.length);
      return { follower: new ChainFollower(chain, reading, rotated.at(-1)?.firstSeq ?? 0), last: [...older, ...newest.lines] };
    } catch (error) {
      await current?.close();
      throw error;
    }
  }

  /** A chain that appeared after the start: every record of it is new. */
  static fromStart(chain: AuditChainLocation): ChainFollower {
    return new ChainFollower(chain, null, 0);
  }

  async close(): Promise<void> {
    await this.reading?.handle.close();
    this.reading = null;
  }

  /** The complete lines written since the last poll. */
  async poll(): Promise<string[]> {
    const reading = this.reading;
    if (reading === null) return this.catchUp();
    const lines = await readNew(reading);
    const replaced = await stat(join(this.chain.dir, LOG_FILE)).then(
      (now) => now.ino !== reading.ino,
      () => true,
    );
    if (!replaced) return lines;
    // Records written between the read above and the rename.
    lines.push(...(await readNew(reading)));
    const first = await readFirstRecord(reading.handle);
    if (first !== null) this.readSeq = Math.max(this.readSeq, first.seq);
    await this.close();
    notice(`${this.chain.instance === null ? '' : `${printable(this.chain.instance)}: `}${LOG_FILE} was rotated or replaced; following the new file from its start`);
    lines.push(...(await this.catchUp()));
    return lines;
  }

  /** Reads the rotated files newer than the last one read, and opens the new `audit.jsonl`, if there is one yet. */
  private async catchUp(): Promise<string[]> {
    const { current, rotated } = await openLogFiles(this.chain.dir);
    const lines: string[] = [];
    try {
      for (const { name, firstSeq } of rotated) {
        if (firstSeq <= this.readSeq) continue;
        const handle = await open(join(this.chain.dir, name), 'r');
        try {
          await readLines(handle, 0, (await handle.stat()).size, lines);
        } finally {
          await handle.close();
        }
        this.readSeq = firstSeq;
      }
      this.reading = current ? { handle: current, ino: (await current.stat()).ino, position: 0 } : null;
    } catch (error) {
      await current?.close();
      throw error;
    }
    if (this.reading !== null) lines.push(...(await readNew(this.reading)));
    return lines;
  }
}

/** The last `count` complete lines of a file, and where the last complete line ends. */
async function lastLines(handle: FileHandle, count: number): Promise<{ lines: string[]; end: number }> {
  const { size } = await handle.stat();
  const { bytes, offset } = await readTailBytes(handle, size, count + 1);
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = end === 0 ? [] : bytes.toString('utf8', 0, end - 1).split('\n');
  // The first line may be cut by the chunk boundary unless the read reached the start.
  const whole = offset === 0 ? lines : lines.slice(1);
  return { lines: whole.slice(Math.max(0, whole.length - count)), end: offset + end };
}

/** The last `count` lines of the rotated files (read newest file first), in log order. */
async function lastRotatedLines(dir: string, rotated: readonly RotatedAuditFile[], count: number): Promise<string[]> {
  let lines: string[] = [];
  for (const { name } of [...rotated].reverse()) {
    if (lines.length >= count) break;
    const handle = await open(join(dir, name), 'r');
    try {
      lines = [...(await lastLines(handle, count - lines.length)).lines, ...lines];
    } finally {
      await handle.close();
    }
  }
  return lines;
}

/** Waits one poll interval; false once the signal has fired. */
async function pause(signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await delay(POLL_MS, undefined, { signal });
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

async function readNew(reading: Reading): Promise<string[]> {
  const { size } = await reading.handle.stat();
  if (size < reading.position) {
    notice('the audit log became shorter (repaired or replaced); following it from its start');
    reading.position = 0;
  }
  const lines: string[] = [];
  reading.position = await readLines(reading.handle, reading.position, size, lines);
  return lines;
}

const CHUNK = 1024 * 1024;

/** Adds the complete lines between `from` and `to` to `into`; returns where the last of them ends. */
async function readLines(handle: FileHandle, from: number, to: number, into: string[]): Promise<number> {
  let position = from;
  let carry = Buffer.alloc(0);
  while (position < to) {
    const chunk = Buffer.alloc(Math.min(CHUNK, to - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    const end = data.lastIndexOf(0x0a) + 1;
    if (end > 0) into.push(...data.toString('utf8', 0, end - 1).split('\n'));
    carry = Buffer.from(data.subarray(end));
  }
  return position - carry.length;
}

/** Like tail -F: notes about the files go to stderr, so stdout holds records only. */
function notice(text: string): void {
  process.stderr.write(`-- ${text} --\n`);
}
