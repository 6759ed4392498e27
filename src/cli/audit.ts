import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { CHAINS_DIR, checkChainIndex, GENESIS_HASH, listPgAuditInstances, listRotatedFiles, LOG_FILE, verifyAuditLog, verifyExport, verifyPgAuditLog, type AuditKey, type ChainToVerify } from '../audit/index.js';
import { loadConfig } from '../config/load.js';
import type { BastionConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import { privateTreeProblem } from '../util/private-file.js';
import { printable } from './audit-format.js';
import { tailAudit } from './audit-tail.js';
import { createProgress, type Progress, type ProgressOptions } from './progress.js';

export { formatAuditLine, printable } from './audit-format.js';

interface AuditOptions {
  dir?: string;
  config?: string;
  keyEnv?: string;
}

interface VerifyOptions extends AuditOptions {
  export?: string;
  /** --allow-gaps: the export was filtered, so records missing between others are expected. */
  allowGaps?: boolean;
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
    .option('--dir <dir>', 'audit folder: every chain in it, audit/<instance>/ (default: audit.dir, else the state folder; bastion doctor shows it)')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)')
    .option('--key-env <name>', 'environment variable holding the audit HMAC key (default: audit.key of the configuration)');

  audit
    .command('verify')
    .description('Check every record and head checkpoint of every chain in the folder; exits 1 if any chain fails')
    .option('--export <file>', 'verify an export of records (the console\'s JSON lines): each record against its hash, consecutive records against each other; a gap in a chain fails it')
    .option('--allow-gaps', 'with --export: the export was filtered, so records missing between others are expected (each is still reported)')
    .option('--postgres', 'verify the PostgreSQL audit table (audit.postgres of the configuration) instead of the files')
    .option('--instance <name>', 'with --postgres: only this instance\'s chain (default: every instance in the table)')
    .action(async (_options: VerifyOptions, command: Command) => {
      const options = command.optsWithGlobals<VerifyOptions>();
      if (options.export !== undefined) {
        process.exitCode = await verifyExportFile(options.export, auditKey(options), options.allowGaps === true);
        return;
      }
      const progress = createProgress('audit verify', progressOptions);
      if (options.postgres === true) {
        process.exitCode = await verifyPostgres(options, progress);
        return;
      }
      if ((await verifyFiles(auditDir(options), auditKey(options), progress)) !== 0) process.exitCode = 1;
    });

  audit
    .command('tail')
    .description('Print the last records of every chain for a person; -f keeps following, new chains too')
    .option('-f, --follow', 'keep printing records as they are written')
    .option('-n, --lines <count>', 'how many records to print first', '20')
    .action(async (_options: TailOptions, command: Command) => {
      const options = command.optsWithGlobals<TailOptions>();
      const count = Number(options.lines);
      if (!Number.isSafeInteger(count) || count < 0) throw new BastionError('INVALID_ARGUMENT', '-n: give a whole number of lines.');
      await tailAudit(auditDir(options), count, options.follow === true, signal);
    });
}

/**
 * Verifies the chain index and every chain in the folder, one result line each (and a
 * total when there are several or the folder has a problem); returns the exit code: 1
 * if any chain or the index fails, if an indexed chain is missing or a chain is not
 * indexed, or if there is no chain at all.
 */
async function verifyFiles(dir: string, key: AuditKey | undefined, progress: Progress): Promise<number> {
  // Chains that verify say nothing if another user could have moved the real ones away
  // and put their own folder in their place: the folders must pass the sink's own rule.
  const unsafe = await privateTreeProblem(join(dir, CHAINS_DIR), 'the audit chains', dir);
  if (unsafe !== undefined) process.stdout.write(`FAILED: ${unsafe.reason}${unsafe.fix === undefined ? '' : ` Run: ${unsafe.fix}`}\n`);
  const index = await checkChainIndex(dir, key);
  // No chain at all: the folder itself, so the answer says what is missing where.
  const targets: ChainToVerify[] = index.chains.length > 0 || index.findings.length > 0 ? [...index.chains] : [{ instance: null, dir, genesis: GENESIS_HASH, requireHead: false }];
  let failed = 0;
  let records = 0;
  for (const chain of targets) {
    progress.step(`verifying the hash chain in ${chain.dir}`);
    const result = await verifyAuditLog({
      dir: chain.dir,
      key,
      genesis: chain.genesis,
      requireHead: chain.requireHead,
      onProgress: (p) => progress.update(p.done, p.total, `${p.records} record(s)`),
    }).finally(() => progress.done());
    records += result.records;
    if (result.ok || (chain.instance !== null && result.firstBad.reason === 'LOG_MISSING')) {
      // A chain folder with no file yet: its process stopped before its first record.
      const gaps = result.ok && result.gaps > 0 ? ` (${result.gaps} marked gap(s) from crash repair)` : '';
      const rotated = (await listRotatedFiles(chain.dir)).length;
      const files = rotated > 0 ? ` and ${rotated} rotated file(s)` : '';
      process.stdout.write(`OK: ${result.records} record(s) verified in ${printable(join(chain.dir, LOG_FILE))}${files}${gaps}.\n`);
      continue;
    }
    failed += 1;
    const bad = result.firstBad;
    const file = printable(relative(dir, join(chain.dir, bad.file ?? LOG_FILE)));
    const where = bad.line === 0 ? file : `${file} line ${bad.line}${bad.seq === undefined ? '' : `, seq ${bad.seq}`}`;
    process.stdout.write(`FAILED at ${where}: ${bad.reason}. ${bad.detail}\n${result.records} record(s) before it verified.\n`);
  }
  for (const finding of index.findings) {
    const where = finding.line === 0 ? finding.path : `${finding.path} line ${finding.line}`;
    process.stdout.write(`FAILED at ${printable(where)}: ${finding.reason}. ${finding.detail}\n`);
  }
  if (index.note !== '') process.stdout.write(`${index.findings.length === 0 ? 'OK: ' : ''}${index.note}\n`);
  if (targets.length > 1 || index.findings.length > 0) {
    const problems = index.findings.length > 0 ? ` and ${index.findings.length} problem(s) with the chain index` : '';
    const verdict = failed === 0 && problems === '' ? 'OK:' : `FAILED: ${failed} of`;
    process.stdout.write(`${verdict} ${targets.length} chain(s)${problems} in ${printable(dir)}; ${records} record(s) verified in all.\n`);
  }
  return failed === 0 && index.findings.length === 0 && unsafe === undefined ? 0 : 1;
}

/** Verifies an export file (console JSON lines); returns the exit code. */
async function verifyExportFile(file: string, key: AuditKey | undefined, allowGaps: boolean): Promise<number> {
  const result = verifyExport(await readFile(file, 'utf8'), key);
  if (!result.ok) {
    process.stdout.write(`FAILED at line ${result.line} of ${printable(file)}: ${result.detail}\n`);
    return 1;
  }
  if (result.gaps > 0) {
    const gap = result.firstGap;
    const where = gap === undefined ? '' : ` (first: instance ${printable(gap.instance)}, after seq ${gap.after} the next is ${gap.next})`;
    process.stdout.write(`${allowGaps ? 'NOTE' : 'FAILED'}: ${result.gaps} gap(s) in a chain${where}: records between those in the export are missing, left out by a filter or removed.\n`);
    if (!allowGaps) {
      process.stdout.write('An unfiltered export has none; for a filtered one pass --allow-gaps, and check the whole chain with bastion audit verify.\n');
      return 1;
    }
  }
  process.stdout.write(
    `OK: ${result.records} record(s) of ${result.chains} chain(s) match their hashes; ${result.links} link(s) between consecutive records checked. ` +
      'What came before the first record, or was left out by a filter, is checked on the whole chain with bastion audit verify.\n',
  );
  return 0;
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

