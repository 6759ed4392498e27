/**
 * Runs the built binary over stdio as another OS user, the way a desktop client of an
 * ordinary account starts it: node's spawn sets the uid and gid (and drops the
 * supplementary groups), which the SDK's StdioClientTransport cannot. The transport
 * below frames JSON-RPC on the child's pipes with the SDK's own reader and writer.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { BIN, PROCESS_DEADLINE_MS } from './spawn.js';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * An unprivileged account this process may become, or the reason there is none: only
 * root can switch users, and the account must be able to read the built binary.
 */
export function unprivilegedUser(): OsUser | string {
  if (process.getuid?.() !== 0) return 'the tests do not run as root, so they cannot start a process as another user';
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [name, , uid, gid] = line?.split(':') ?? [];
  if (name === undefined || uid === undefined || gid === undefined) return 'there is no "nobody" account on this host';
  const user = { name, uid: Number(uid), gid: Number(gid) };
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(BIN)}, require('node:fs').constants.R_OK)`], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    env: {},
    timeout: PROCESS_DEADLINE_MS,
  });
  if (probe.status !== 0) return `the account ${name} cannot read ${BIN}`;
  return user;
}

class ChildStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  start(): Promise<void> {
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      try {
        for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage()) this.onmessage?.(message);
      } catch (error) {
        this.onerror?.(error as Error);
      }
    });
    this.child.once('error', (error) => this.onerror?.(error));
    this.child.once('close', () => this.onclose?.());
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.stdin.write(serializeMessage(message))) resolve();
      else this.child.stdin.once('drain', resolve);
    });
  }

  close(): Promise<void> {
    this.child.stdin.end();
    return Promise.resolve();
  }
}

export interface ServerAsUser {
  client: Client;
  stderr(): string;
  /** Closes the client and waits for the server to exit (killed at the deadline if it hangs). */
  close(): Promise<void>;
}

/** `node dist/cli/main.js serve <args>` as `user` in `cwd`, with exactly `env`, connected with the SDK client. */
export async function startStdioAsUser(args: string[], options: { user: OsUser; cwd: string; env: Record<string, string> }): Promise<ServerAsUser> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: options.cwd, env: options.env, uid: options.user.uid, gid: options.user.gid, stdio: 'pipe' });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = new Client({ name: 'bastion-e2e-as-user', version: '1' });
  const close = async (): Promise<void> => {
    await client.close().catch(() => undefined);
    const deadline = setTimeout(() => child.kill('SIGKILL'), PROCESS_DEADLINE_MS);
    await exited;
    clearTimeout(deadline);
  };
  try {
    await client.connect(new ChildStdioTransport(child));
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`could not connect: ${(error as Error).message}\nstderr:\n${stderr}`);
  }
  return { client, stderr: () => stderr, close };
}
