import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LOG_FILE, verifyAuditLog, type AuditKey } from '../audit/index.js';
import { readTailBytes } from '../audit/tail-bytes.js';
import { loadConfig } from '../config/load.js';
import { BastionError } from '../errors/codes.js';

interface AuditOptions {
  dir?: string;
  config?: string;
  keyEnv?: string;
}

interface TailOptions extends AuditOptions {
  follow?: boolean;
  lines: string;
}

/** `bastion audit verify|tail`: check the hash chain, or read the log as a person. */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('Verify or read the tamper-evident audit log')
    .option('--dir <dir>', 'state folder holding audit.jsonl (default: state.dir of the configuration, else .bastion)')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)')
    .option('--key-env <name>', 'environment variable holding the audit HMAC key');

  audit
    .command('verify')
    .description('Check every record and the head checkpoint; exits 1 at the first bad record')
    .action(async (_options: AuditOptions, command: Command) => {
      const options = command.optsWithGlobals<AuditOptions>();
      const dir = auditDir(options);
      const result = await verifyAuditLog({ dir, key: auditKey(options) });
      if (result.ok) {
        const gaps = result.gaps > 0 ? ` (${result.gaps} marked gap(s) from crash repair)` : '';
        process.stdout.write(`OK: ${result.records} record(s) verified in ${printable(join(dir, LOG_FILE))}${gaps}.\n`);
        return;
      }
      const bad = result.firstBad;
      const where = bad.line === 0 ? 'head checkpoint' : `line ${bad.line}${bad.seq === undefined ? '' : `, seq ${bad.seq}`}`;
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
      await tail(join(auditDir(options), LOG_FILE), count, options.follow === true);
    });
}

function auditDir(options: AuditOptions): string {
  if (options.dir !== undefined) return options.dir;
  return loadConfig({ configPath: options.config }).config.state.dir;
}

function auditKey(options: AuditOptions): AuditKey | undefined {
  if (options.keyEnv === undefined) return undefined;
  // Temporary until the key comes from the configuration (audit.key: ${VAR}).
  // eslint-disable-next-line no-restricted-properties
  const value = process.env[options.keyEnv];
  if (value === undefined || value.length === 0) {
    throw new BastionError('INVALID_ARGUMENT', `--key-env: the environment variable ${printable(options.keyEnv)} is not set.`);
  }
  return value;
}

async function tail(path: string, count: number, follow: boolean): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BastionError('INVALID_ARGUMENT', `No audit log at ${printable(path)}.`);
    throw error;
  }
  let position: number;
  try {
    const { size } = await handle.stat();
    const { bytes, offset } = await readTailBytes(handle, size, count + 1);
    const end = bytes.lastIndexOf(0x0a) + 1;
    const lines = end === 0 ? [] : bytes.toString('utf8', 0, end - 1).split('\n');
    // The first line may be cut by the chunk boundary unless the read reached the start.
    const whole = offset === 0 ? lines : lines.slice(1);
    for (const line of whole.slice(Math.max(0, whole.length - count))) process.stdout.write(`${formatAuditLine(line)}\n`);
    position = offset + end;
  } finally {
    await handle.close();
  }
  if (follow) await followFrom(path, position);
}

/** Polls for growth; a log that shrank (repaired or replaced) is followed from its new end. */
async function followFrom(path: string, start: number): Promise<never> {
  let position = start;
  let pending = '';
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const size = (await stat(path).catch(() => ({ size: position }))).size;
    if (size < position) {
      process.stdout.write('-- the audit log became shorter (repaired or replaced); following its new end --\n');
      position = size;
      pending = '';
      continue;
    }
    if (size === position) continue;
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(size - position);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      position += bytesRead;
      const text = pending + buffer.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${formatAuditLine(line)}\n`);
    } finally {
      await handle.close();
    }
  }
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
