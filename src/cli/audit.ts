import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { listPgAuditInstances, listRotatedFiles, LOG_FILE, verifyAuditLog, verifyPgAuditLog, type AuditKey, type RotatedAuditFile } from '../audit/index.js';
import { openLogFiles, readFirstRecord } from '../audit/log-files.js';
import { readTailBytes } from '../audit/tail-bytes.js';
import { loadConfig } from '../config/load.js';
import type { BastionConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import { createProgress, type Progress, type ProgressOptions } from './progress.js';

interface AuditOptions {
  dir?: string;
  config?: string;
  keyEnv?: string;
}

interface VerifyOptions extends AuditOptions {
  postgres?: boolean;
  instance?: string;
}

interface TailOptions extends AuditOptions {
  follow?: boolean;
  lines: string;
}

/**
 * `bastion audit verify|tail`: check the hash chain, or read the log as a person.
 * `signal` ends `tail -f`; `progress` redirects verify's progress (stderr by default).
 */
export function registerAuditCommand(program: Command, { signal, progress: progressOptions }: { signal?: AbortSignal; progress?: ProgressOptions } = {}): void {
  const audit = program
    .command('audit')
    .description('Verify or read the tamper-evident audit log')
    .option('--dir <dir>', 'folder holding audit.jsonl (default: audit.dir, else the state folder; bastion doctor shows it)')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)')
    .option('--key-env <name>', 'environment variable holding the audit HMAC key (default: audit.key of the configuration)');

  audit
    .command('verify')
    .description('Check every record and the head checkpoint; exits 1 at the first bad record')
    .option('--postgres', 'verify the PostgreSQL audit table (audit.postgres of the configuration) instead of the files')
    .option('--instance <name>', 'with --postgres: only this instance\'s chain (default: every instance in the table)')
    .action(async (_options: VerifyOptions, command: Command) => {
      const options = command.optsWithGlobals<VerifyOptions>();
      const progress = createProgress('audit verify', progressOptions);
      if (options.postgres === true) {
        process.exitCode = await verifyPostgres(options, progress);
        return;
      }
      const dir = auditDir(options);
      const key = auditKey(options);
      progress.step(`verifying the hash chain in ${dir}`);
      let result;
      try {
        result = await verifyAuditLog({ dir, key, onProgress: (p) => progress.update(p.done, p.total, `${p.records} record(s)`) });
      } finally {
        progress.done();
      }
      if (result.ok) {
        const gaps = result.gaps > 0 ? ` (${result.gaps} marked gap(s) from crash repair)` : '';
        const rotated = (await listRotatedFiles(dir)).length;
        const files = rotated > 0 ? ` and ${rotated} rotated file(s)` : '';
        process.stdout.write(`OK: ${result.records} record(s) verified in ${printable(join(dir, LOG_FILE))}${files}${gaps}.\n`);
        return;
      }
      const bad = result.firstBad;
      const file = printable(bad.file ?? LOG_FILE);
      const where = bad.line === 0 ? file : `${file} line ${bad.line}${bad.seq === undefined ? '' : `, seq ${bad.seq}`}`;
      process.stdout.write(`FAILED at ${where}: ${bad.reason}. ${bad.detail}\n${result.records} record(s) before it verified.\n`);
      process.exitCode = 1;
    });

  audit
    .command('tail')
    .description('Print the last records for a person; -f keeps following')
    .option('-f, --follow', 'keep printing records as they are written')
    .option('-n, --lines <count>', 'how many records to print first', '20')
    .action(async (_options: TailOptions, command: Command) => {
      const options = command.optsWithGlobals<TailOptions>();
      const count = Number(options.lines);
      if (!Number.isSafeInteger(count) || count < 0) throw new BastionError('INVALID_ARGUMENT', '-n: give a whole number of lines.');
      await tail(auditDir(options), count, options.follow === true, signal);
    });
}

/**
 * Verifies each instance's chain in the PostgreSQL table; returns the exit code. The
 * progress line is ended before each result is printed, so the two never share a line.
 */
async function verifyPostgres(options: VerifyOptions, progress: Progress): Promise<number> {
  const config = configOf(options);
  const url = config.audit.postgres.url ?? config.state.url;
  if (url === undefined) throw new BastionError('INVALID_ARGUMENT', '--postgres: the configuration sets neither audit.postgres.url nor state.url.');
  const table = config.audit.postgres.table;
  const key = auditKey(options);
  let instances: string[];
  if (options.instance !== undefined) {
    instances = [options.instance];
  } else {
    // The stage names the table, never the URL: it may carry a password.
    progress.step(`listing the chains in table ${table}`);
    instances = await listPgAuditInstances(url, table).finally(() => progress.done());
  }
  if (instances.length === 0) {
    process.stdout.write(`FAILED: the table ${table} holds no audit chain.\n`);
    return 1;
  }
  let code = 0;
  for (const instance of instances) {
    progress.step(`verifying instance ${instance}`);
    const result = await verifyPgAuditLog({ url, table, instance, key, onProgress: (p) => progress.update(p.done, p.total, `${p.records} record(s)`) }).finally(() =>
      progress.done(),
    );
    const name = printable(instance);
    if (result.ok) {
      const gaps = result.gaps > 0 ? ` (${result.gaps} marked gap(s))` : '';
      process.stdout.write(`OK: ${result.records} record(s) verified for instance ${name}${gaps}.\n`);
    } else {
      const bad = result.firstBad;
      process.stdout.write(`FAILED for instance ${name} at record ${bad.line}${bad.seq === undefined ? '' : `, seq ${bad.seq}`}: ${bad.reason}. ${bad.detail}\n`);
      code = 1;
    }
  }
  return code;
}

/** The configuration, loaded only when the command needs something from it. */
function configOf(options: AuditOptions): BastionConfig {
  return loadConfig({ configPath: options.config, sections: AUDIT_SECTIONS }).config;
}

/** What `audit` reads: a ${VAR} elsewhere (a database password) may stay unset. */
const AUDIT_SECTIONS = ['audit', 'state', 'log'] as const;

function auditDir(options: AuditOptions): string {
  if (options.dir !== undefined) return options.dir;
  const config = configOf(options);
  return config.audit.dir ?? config.state.dir;
}

/** --key-env, else audit.key of the configuration (read unless only --dir was given). */
function auditKey(options: AuditOptions): AuditKey | undefined {
  if (options.keyEnv === undefined) {
    return options.dir === undefined || options.config !== undefined ? configOf(options).audit.key : undefined;
  }
  // eslint-disable-next-line no-restricted-properties
  const value = process.env[options.keyEnv];
  if (value === undefined || value.length === 0) {
    throw new BastionError('INVALID_ARGUMENT', `--key-env: the environment variable ${printable(options.keyEnv)} is not set.`);
  }
  return value;
}

/** Prints the last `count` records, reading back across rotated files; then, with `follow`, what is written next. */
async function tail(dir: string, count: number, follow: boolean, signal: AbortSignal | undefined): Promise<void> {
  const { current, rotated } = await openLogFiles(dir);
  if (current === null && rotated.length === 0) throw new BastionError('INVALID_ARGUMENT', `No audit log at ${printable(join(dir, LOG_FILE))}.`);
  let reading: Reading | null = null;
  try {
    const newest = current ? await lastLines(current, count) : { lines: [], end: 0 };
    if (current) reading = { handle: current, ino: (await current.stat()).ino, position: newest.end };
    const older = await lastRotatedLines(dir, rotated, count - newest.lines.length);
    for (const line of [...older, ...newest.lines]) printRecord(line);
  } catch (error) {
    await current?.close();
    throw error;
  }
  const follower = new LogFollower(dir, reading, rotated.at(-1)?.firstSeq ?? 0);
  try {
    if (follow) await follower.run(signal);
  } finally {
    await follower.close();
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

/** An open log file; the handle stays on its inode when the file is renamed, so a rotated file can be read to its end. */
interface Reading {
  readonly handle: FileHandle;
  readonly ino: number;
  /** The end of the last complete line printed: a line still being written is read again whole. */
  position: number;
}

const POLL_MS = 250;

/**
 * `tail -f` that survives rotation: when `audit.jsonl` is replaced (another inode, or
 * gone), the old file is read to its end, then every file rotated since it, then the
 * new `audit.jsonl` from its start, so no record is skipped even when several
 * rotations happen between two polls.
 */
class LogFollower {
  constructor(
    private readonly dir: string,
    private reading: Reading | null,
    /** The first seq of the newest rotated file already read: later ones are new. */
    private readSeq: number,
  ) {}

  async run(signal: AbortSignal | undefined): Promise<void> {
    while (await pause(signal)) await this.poll();
  }

  async close(): Promise<void> {
    await this.reading?.handle.close();
    this.reading = null;
  }

  private async poll(): Promise<void> {
    const reading = this.reading;
    if (reading === null) {
      this.reading = await this.catchUp();
      return;
    }
    await printNew(reading);
    const replaced = await stat(join(this.dir, LOG_FILE)).then(
      (now) => now.ino !== reading.ino,
      () => true,
    );
    if (!replaced) return;
    // Records written between the read above and the rename.
    await printNew(reading);
    const first = await readFirstRecord(reading.handle);
    if (first !== null) this.readSeq = Math.max(this.readSeq, first.seq);
    await this.close();
    notice(`${LOG_FILE} was rotated or replaced; following the new file from its start`);
    this.reading = await this.catchUp();
  }

  /** Prints the rotated files newer than the last one read; returns the new `audit.jsonl`, if there is one yet. */
  private async catchUp(): Promise<Reading | null> {
    const { current, rotated } = await openLogFiles(this.dir);
    try {
      for (const { name, firstSeq } of rotated) {
        if (firstSeq <= this.readSeq) continue;
        const handle = await open(join(this.dir, name), 'r');
        try {
          await printLines(handle, 0, (await handle.stat()).size);
        } finally {
          await handle.close();
        }
        this.readSeq = firstSeq;
      }
      return current ? { handle: current, ino: (await current.stat()).ino, position: 0 } : null;
    } catch (error) {
      await current?.close();
      throw error;
    }
  }
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

async function printNew(reading: Reading): Promise<void> {
  const { size } = await reading.handle.stat();
  if (size < reading.position) {
    notice('the audit log became shorter (repaired or replaced); following it from its start');
    reading.position = 0;
  }
  reading.position = await printLines(reading.handle, reading.position, size);
}

const CHUNK = 1024 * 1024;

/** Prints the complete lines between `from` and `to`; returns where the last of them ends. */
async function printLines(handle: FileHandle, from: number, to: number): Promise<number> {
  let position = from;
  let carry = Buffer.alloc(0);
  while (position < to) {
    const chunk = Buffer.alloc(Math.min(CHUNK, to - position));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    const end = data.lastIndexOf(0x0a) + 1;
    if (end > 0) for (const line of data.toString('utf8', 0, end - 1).split('\n')) printRecord(line);
    carry = Buffer.from(data.subarray(end));
  }
  return position - carry.length;
}

function printRecord(line: string): void {
  process.stdout.write(`${formatAuditLine(line)}\n`);
}

/** Like tail -F: notes about the file go to stderr, so stdout holds records only. */
function notice(text: string): void {
  process.stderr.write(`-- ${text} --\n`);
}

/**
 * One record as one line for a person: time, seq, principal, tool, source, decision,
 * outcome, reason, rows, duration. Every field is made printable, so a crafted tool
 * name or principal cannot add lines or terminal escapes.
 */
export function formatAuditLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
    record = parsed as Record<string, unknown>;
  } catch {
    return `(unparsable line: ${printable(line.slice(0, 80))})`;
  }
  const principal = (record['principal'] ?? {}) as Record<string, unknown>;
  const parts = [
    field(record['time']),
    `#${field(record['seq'])}`,
    `${field(principal['id'])}(${field(principal['kind'])}/${field(principal['role'])})`,
    field(record['tool'] ?? '-'),
  ];
  if (record['source'] !== undefined) parts.push(`source=${field(record['source'])}`);
  parts.push(`${field(record['decision'])}/${field(record['outcome'])}`);
  if (record['reason'] !== undefined) parts.push(`reason=${field(record['reason'])}`);
  if (record['rows'] !== undefined) parts.push(`rows=${field(record['rows'])}`);
  if (record['bytes'] !== undefined) parts.push(`bytes=${field(record['bytes'])}`);
  if (record['duration_ms'] !== undefined) parts.push(`${field(record['duration_ms'])}ms`);
  return parts.join(' ');
}

function field(value: unknown): string {
  if (value === undefined || value === null) return '-';
  return printable(typeof value === 'string' ? value : JSON.stringify(value));
}

/** Control, format and line/paragraph-separator characters as visible \u{…} escapes; backslashes doubled. */
export function printable(text: string): string {
  return text.replace(/[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (ch) => (ch === '\\' ? '\\\\' : `\\u{${ch.codePointAt(0)?.toString(16) ?? ''}}`));
}
