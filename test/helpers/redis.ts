/**
 * Redis for the rate-limit suites. The shared server (BASTION_TEST_REDIS_URL, by
 * default 127.0.0.1:6379) is only ever read and written under random keys, never
 * stopped. Outage tests start a private redis-server of their own on a free port,
 * which they may kill and restart; `stopPrivateRedis()` removes every one of them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

export const REDIS_URL = process.env['BASTION_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Upper bound for a redis-server to start or to exit; only a hung one reaches it. */
const DEADLINE_MS = 10_000;

/** Sends PING over a raw socket: true on +PONG, false on anything else within the timeout. */
export function ping(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function probeSharedRedis(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const url = new URL(REDIS_URL);
  const ok = await ping(url.hostname, Number(url.port || 6379));
  return ok ? { ok: true } : { ok: false, reason: `Redis did not answer PING at ${url.host}` };
}

function probeRedisServerBinary(): { ok: true } | { ok: false; reason: string } {
  const run = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return run.error === undefined && run.status === 0 ? { ok: true } : { ok: false, reason: 'no redis-server binary on PATH to start a private Redis' };
}

/** Whether the shared-Redis suites run (BASTION_REQUIRE_REDIS=1 turns a skip into a failure). */
export const sharedRedis = await probeSharedRedis();
/** Whether the outage suites can start a private redis-server. */
export const redisServerBinary = probeRedisServerBinary();

export function requireRedisOrSkip(probe: { ok: true } | { ok: false; reason: string }): void {
  if (!probe.ok && process.env['BASTION_REQUIRE_REDIS'] === '1') {
    throw new Error(`BASTION_REQUIRE_REDIS=1 but ${probe.reason}`);
  }
}

/** A TCP port that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts redis-server on `port` (again) and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILLs it, the way a crash or a lost host looks to a client, and waits for the exit. */
  kill(): Promise<void>;
  /** SIGSTOPs it: connections stay open but nothing answers, like a hung server or a partition. */
  pause(): void;
  /** SIGCONTs a paused server. */
  resume(): void;
}

const running = new Set<ChildProcess>();

/** A redis-server owned by this test process, on a free port; not started until `start()`. */
export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child !== null) throw new Error('this private Redis is already running');
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
        stdio: 'ignore',
      });
      child = started;
      running.add(started);
      started.once('exit', () => running.delete(started));
      const deadline = Date.now() + DEADLINE_MS;
      while (!(await ping('127.0.0.1', port, 200))) {
        if (started.exitCode !== null || Date.now() > deadline) throw new Error(`private redis-server on port ${port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async kill() {
      const target = child;
      child = null;
      if (target !== null) {
        target.kill('SIGCONT');
        await killAndWait(target);
      }
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Kills every private redis-server this process started. */
export async function stopPrivateRedis(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      child.kill('SIGCONT');
      return killAndWait(child);
    }),
  );
}
