import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, vi } from 'vitest';
import { AuditFileSink, argsShape, type AuditEvent, type AuditKey } from '../../src/audit/index.js';
import { openAuditTrail, type AuditTrail } from '../../src/audit/trail.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'bastion-audit-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function callEvent(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    principal: { id: `key:k${i % 7}`, kind: 'api_key', role: 'reader' },
    session: 's-1',
    correlation_id: `c-${i}`,
    tool: 'query',
    source: 'app',
    fingerprint: 'f00d',
    args_shape: argsShape({ sql: `select ${i}`, max_rows: 10 }),
    decision: 'allow',
    rows: i % 13,
    bytes: 100 + i,
    duration_ms: 3,
    outcome: 'ok',
    ...extra,
  };
}

/** Writes `count` records through the real sink and closes it. */
export async function writeLog(dir: string, count: number, key?: AuditKey): Promise<void> {
  const sink = await AuditFileSink.open({ dir, key, instance: 'test-1' });
  await Promise.all(Array.from({ length: count }, (_, i) => sink.append(callEvent(i + 1))));
  await sink.close();
}

export async function readLines(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'audit.jsonl'), 'utf8');
  return text.split('\n').slice(0, -1);
}

export async function writeLines(dir: string, lines: readonly string[]): Promise<void> {
  await writeFile(join(dir, 'audit.jsonl'), lines.map((l) => `${l}\n`).join(''));
}

/** True when the text holds a control character other than LF, a C1 control, U+2028/2029 or a bidi override. */
export function hasUnsafeCharacter(text: string): boolean {
  return [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e);
  });
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Compiles src/audit alone into a temp folder, so a child process can run the real
 * sink without the rest of the tree building; returns the folder.
 */
export async function compileAuditModule(): Promise<string> {
  const build = await tempDir();
  execFileSync(
    process.execPath,
    [
      join(REPO, 'node_modules/typescript/bin/tsc'),
      ...['--outDir', build, '--rootDir', join(REPO, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext'],
      ...['--target', 'ES2022', '--types', 'node', '--skipLibCheck', '--strict', join(REPO, 'src/audit/index.ts')],
    ],
    { cwd: REPO, stdio: 'pipe' },
  );
  await writeFile(join(build, 'package.json'), '{"type":"module"}');
  return build;
}

/**
 * Writer-lock bounds for tests that kill -9 a writer and restart on its folder: the
 * killed writer's heartbeat must first lapse (the real short bound is 6 s).
 */
export const CRASH_LOCK = { lockWaitMs: 10_000, lockTimes: { heartbeatMs: 50, deadAfterMs: 300, staleAfterMs: 10_000 } } as const;

const APPENDING_CHILD = `
const { AuditFileSink } = await import(process.argv[1]);
const options = JSON.parse(process.argv[3]);
const sink = await AuditFileSink.open({ dir: process.argv[2], instance: 'child-' + process.pid, ...options.lock, ...options.sink });
for (let n = 0; ; ) {
  const batch = [];
  for (let i = 0; i < options.batch; i++) {
    batch.push(sink.append({ principal: { id: 'key:k', kind: 'api_key', role: 'reader' }, correlation_id: 'c' + n++,
      tool: 'query', args_shape: { sql: 'string(' + n + ')' }, decision: 'allow', outcome: 'ok', rows: n }));
  }
  const records = await Promise.all(batch);
  process.stdout.write(records.at(-1).seq + '\\n');
}`;

/**
 * Runs a child that appends through the compiled sink in `build` until it has
 * acknowledged at least `atLeast` records, then SIGKILLs it; resolves with the last
 * acknowledged seq.
 */
export function appendThenKill(build: string, dir: string, options: { atLeast: number; batch: number; sink?: Record<string, unknown> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = ['--input-type=module', '-e', APPENDING_CHILD, pathToFileURL(join(build, 'audit/index.js')).href, dir, JSON.stringify({ batch: options.batch, sink: options.sink ?? {}, lock: CRASH_LOCK })];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let acknowledged = 0;
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      acknowledged = Math.max(acknowledged, ...chunk.toString().trim().split('\n').map(Number));
      if (acknowledged >= options.atLeast) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acknowledged) : reject(new Error(`child exited without SIGKILL: ${errors}`))));
  });
}

/**
 * What the audit CLI writes to stdout and stderr during each test of the file that
 * calls this (at its top level), with process.exitCode cleared around every test.
 */
export function captureOutput(): { readonly out: string; readonly err: string; clear(): void } {
  let out = '';
  let err = '';
  beforeEach(() => {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += chunk.toString();
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += chunk.toString();
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  return {
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    clear() {
      out = '';
    },
  };
}

/**
 * Opens audit trails on the folder `dir()` gives (the demo config plus `audit`
 * settings) and closes each after its test. Call it after the file's own afterEach
 * that removes the folder: after-hooks run last-registered first, so trails close first.
 */
export function trailsIn(dir: () => string): (audit?: Record<string, unknown>) => Promise<AuditTrail> {
  const open: AuditTrail[] = [];
  afterEach(async () => {
    for (const trail of open.splice(0)) await trail.close();
  });
  return async (audit = {}) => {
    const config = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { dir: dir() }, audit });
    const trail = await openAuditTrail(config, createLogger('silent'));
    open.push(trail);
    return trail;
  };
}
