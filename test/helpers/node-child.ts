/**
 * A Node.js child process running a short ES module script against the built modules
 * in dist/, for tests that need a second, real process on the same files (locks, stores).
 * The script gets the dist folder's URL as process.argv[1] and its own arguments after it.
 * Each child is tracked; `killChildren()` ends those still running.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanEnv, PROCESS_DEADLINE_MS, REPO_ROOT } from './spawn.js';

const DIST_URL = pathToFileURL(join(REPO_ROOT, 'dist')).href;
const running = new Set<ChildProcessWithoutNullStreams>();

export interface NodeChild {
  readonly pid: number;
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves at the first stdout line equal to `line` (the script's own signal). */
  said(line: string): Promise<void>;
  /** Resolves when the child exits, with what it printed; a hung child is killed at the deadline. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startNodeChild(script: string, args: readonly string[] = []): NodeChild {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, DIST_URL, ...args], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    const lines = stdout.split('\n');
    for (const waiter of waiters.splice(0)) {
      if (lines.includes(waiter.line)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const deadline = setTimeout(() => child.kill('SIGKILL'), PROCESS_DEADLINE_MS * 3);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      running.delete(child);
      for (const waiter of waiters.splice(0)) waiter.resolve();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    pid: child.pid ?? 0,
    child,
    exited,
    said: (line) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.split('\n').includes(line)) return resolve();
        waiters.push({
          line,
          resolve: () => (stdout.split('\n').includes(line) ? resolve() : reject(new Error(`child exited before saying ${line}: ${stderr}`))),
        });
      }),
  };
}

export async function killChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
