/**
 * Runs the built `bastion` binary (dist/cli/main.js) as a child process, the way a
 * user or an MCP client does. Every process and temp folder made here is tracked
 * and removed by `cleanup()`, which each e2e suite calls from afterAll/afterEach so
 * nothing outlives a failed test. Waits are bounded by a deadline that only stops
 * a hung process; no test asserts on how long anything took.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** The repository root, without a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** The built CLI entry point: the `bastion` binary of package.json. */
export const BIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** Upper bound for a process to start or exit; only a hung process ever reaches it. */
export const PROCESS_DEADLINE_MS = 20_000;

/** Bound for expect.poll on output that arrives asynchronously (stderr lines); not a timing assertion. */
export const POLL = { timeout: 15_000, interval: 50 } as const;

const children = new Set<ChildProcess>();
const stdioPids = new Set<number>();
const tempDirs = new Set<string>();

/** Kills every process this helper started and removes its temp folders. */
export async function cleanup(): Promise<void> {
  const exits = [...children].map((child) => {
    const exited = waitForExit(child);
    child.kill('SIGKILL');
    return exited;
  });
  for (const pid of stdioPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  stdioPids.clear();
  await Promise.all(exits);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  stateHomes.clear();
}

const stateHomes = new Map<string, string>();

/**
 * The XDG_STATE_HOME of every child started in `cwd` (unless the test sets one): a
 * temp folder per working folder. A server without a configuration file keeps its
 * state in the per-user state directory; this keeps each test's apart from the
 * others' and from the real home, while commands run in one folder still meet.
 */
export function stateHomeFor(cwd: string): string {
  let home = stateHomes.get(cwd);
  if (home === undefined) {
    home = mkdtempSync(join(tmpdir(), 'bastion-e2e-state-'));
    tempDirs.add(home);
    stateHomes.set(cwd, home);
  }
  return home;
}

/** Where a child started in `cwd` without a configuration file keeps its state. */
export function userStateDirFor(cwd: string): string {
  return join(stateHomeFor(cwd), 'bastion');
}

function childEnv(options: { cwd: string; env?: Record<string, string | undefined> }): Record<string, string> {
  return cleanEnv({ XDG_STATE_HOME: stateHomeFor(options.cwd), ...options.env });
}

/** A fresh empty folder: a cwd without ./bastion.yaml, or a place for a test config. */
export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-e2e-'));
  tempDirs.add(dir);
  return dir;
}

/**
 * bastion.yaml lines for the demo database, API-key state in ./state and one HS256
 * JWT issuer whose secret comes from ${BASTION_TEST_JWT_SECRET} (pass it in `env`).
 * `auth` adds keys under `auth:` after the issuer; `extra` adds top-level sections.
 */
export function demoConfigWithJwt(issuer: string, options: { auth?: string[]; extra?: string[] } = {}): string {
  return [
    'sources:',
    '  demo:',
    '    engine: pglite',
    'state:',
    '  dir: ./state',
    'auth:',
    '  jwt:',
    '    issuers:',
    `      - issuer: ${issuer}`,
    '        audience: bastion',
    '        algorithms: [HS256]',
    '        secret: ${BASTION_TEST_JWT_SECRET}',
    ...(options.auth ?? []),
    ...(options.extra ?? []),
    '',
  ].join('\n');
}

/** A fresh folder holding bastion.yaml with `yaml` as its content; returns the folder. */
export function dirWithConfig(yaml: string): string {
  const dir = makeTempDir();
  writeFileSync(join(dir, 'bastion.yaml'), yaml);
  return dir;
}

/**
 * The parent's environment without BASTION_* settings, so the test alone decides
 * the config; `extra` adds variables, and an undefined value removes one.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...extra })) {
    if (value !== undefined && (!key.startsWith('BASTION_') || key in extra)) env[key] = value;
  }
  return env;
}

/** Parses stderr into JSON log lines; a line that is not JSON becomes `{ unparsed: line }`. */
export function parseLogLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { unparsed: line };
      } catch {
        return { unparsed: line };
      }
    });
}

/** A JavaScript stack frame (`at fn (file:line:col)`), or a serialized `stack` field. */
export const STACK_TRACE = /\bat\s+(?:\S+\s+)?\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+|"stack"\s*:/;

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Spawns `node dist/cli/main.js <args>` with piped stdio; tracked, so cleanup() kills it. */
export function spawnBastion(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: childEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the deadline killed the process (it hung). */
  timedOut: boolean;
}

/** Runs `bastion <args>` to completion; a process that hangs is killed at the deadline. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const deadline = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, PROCESS_DEADLINE_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(deadline);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

export interface StdioBastion {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Errors the client transport reported, such as a stdout line that is not JSON-RPC. */
  readonly transportErrors: Error[];
  close(): Promise<void>;
}

/** Spawns `node dist/cli/main.js serve <args>` and connects the official SDK client over stdio. */
export async function startStdio(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<StdioBastion> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', ...args],
    cwd: options.cwd,
    env: childEnv(options),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer | string) => (stderr += d.toString()));
  const transportErrors: Error[] = [];
  const client = new Client({ name: 'bastion-e2e', version: '1' });
  client.onerror = (error) => transportErrors.push(error);
  let pid: number | null = null;
  const close = async (): Promise<void> => {
    await client.close().catch(() => undefined);
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited on its own
      }
      stdioPids.delete(pid);
    }
  };
  try {
    await client.connect(transport);
  } finally {
    pid = transport.pid;
    if (pid !== null) stdioPids.add(pid);
  }
  return { client, transport, stderr: () => stderr, transportErrors, close };
}

export interface HttpBastion {
  /** The MCP endpoint from the start-up log line, e.g. http://127.0.0.1:41234/mcp. */
  url: string;
  /** host:port of the server. */
  hostPort: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `bastion serve --http [--no-auth] --port 0 <args>` and waits for its "serving"
 * log line. `auth: true` leaves out --no-auth, so the server requires credentials.
 */
export async function startHttp(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; auth?: boolean }): Promise<HttpBastion> {
  const child = spawn(process.execPath, [BIN, 'serve', '--http', ...(options.auth === true ? [] : ['--no-auth']), '--port', '0', ...args], {
    cwd: options.cwd,
    env: childEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stdout.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bastion did not report its HTTP address. stderr:\n${stderr}`));
    }, PROCESS_DEADLINE_MS);
    const onExit = (code: number | null): void => {
      clearTimeout(deadline);
      reject(new Error(`bastion exited (code ${code}) before serving. stderr:\n${stderr}`));
    };
    child.once('exit', onExit);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const line = parseLogLines(stderr).find((l) => l['msg'] === 'bastion serving over HTTP');
      if (line !== undefined && typeof line['url'] === 'string') {
        clearTimeout(deadline);
        child.off('exit', onExit);
        resolve(line['url']);
      }
    });
  });
  const parsed = new URL(url);
  return {
    url,
    hostPort: parsed.host,
    port: Number(parsed.port),
    child,
    stderr: () => stderr,
    async stop() {
      const exited = waitForExit(child);
      child.kill('SIGTERM');
      const deadline = setTimeout(() => child.kill('SIGKILL'), PROCESS_DEADLINE_MS);
      await exited;
      clearTimeout(deadline);
      children.delete(child);
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with node:http, which (unlike fetch) sends exactly the headers
 * given, Host included. A fresh connection each time; bounded by a socket timeout.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`tests only talk to 127.0.0.1, not ${target.hostname}`);
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (options.body !== undefined && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(PROCESS_DEADLINE_MS, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}
