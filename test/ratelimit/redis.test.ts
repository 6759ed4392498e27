/**
 * The rate limiter with Redis as its store: limits are global across replicas
 * (two limiter instances, and two separate Node processes, share one budget), and
 * an unreachable Redis refuses calls by default (fail closed) without taking the
 * process down, then recovers by itself when Redis is back.
 *
 * The shared Redis (127.0.0.1:6379, or BASTION_TEST_REDIS_URL) is used under
 * random principal ids and source names only; outages are staged on a private
 * redis-server this suite starts and kills, never on the shared one. Waits for
 * recovery are polls with a bound, not timing assertions.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../src/errors/codes.js';
import { createRateLimiter, RateLimitedError, type RateLimiter } from '../../src/ratelimit/index.js';
import { privateRedis, REDIS_URL, redisServerBinary, requireRedisOrSkip, sharedRedis, stopPrivateRedis } from '../helpers/redis.js';
import { captureLog, config, freshPrincipal, freshSourceName, outcome, outcomes, times, type CapturedLog } from './support.js';

/** Bound for polls on a reconnect; only a limiter that never recovers reaches it. */
const RECOVERY = { timeout: 15_000, interval: 100 } as const;

const limiters: RateLimiter[] = [];

async function limiter(extra: Record<string, unknown>, captured: CapturedLog = captureLog()): Promise<RateLimiter> {
  const created = await createRateLimiter(config(extra), captured.log);
  limiters.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
});

afterAll(stopPrivateRedis);

describe('redis.url', () => {
  it('must be a redis:// or rediss:// URL: anything else stops the start with CONFIG_INVALID', async () => {
    const error: unknown = await createRateLimiter(config({ redis: { url: 'http://127.0.0.1:6379' } }), captureLog().log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BastionError);
    expect((error as BastionError).code).toBe('CONFIG_INVALID');
    expect((error as BastionError).message).toContain('redis.url');
  });
});

requireRedisOrSkip(sharedRedis);
const sharedTitle = sharedRedis.ok ? `with the shared Redis at ${new URL(REDIS_URL).host}` : `SKIPPED: ${sharedRedis.reason}`;

describe.skipIf(!sharedRedis.ok)(`global limits across replicas, ${sharedTitle}`, () => {
  it('keeps its counters in Redis, under bastion:rl:', async () => {
    const rl = await limiter({ redis: { url: REDIS_URL }, rate_limits: { per_principal_per_minute: 1 } });
    expect(rl.store).toBe('redis');
    const principal = freshPrincipal();
    await rl.consumeCall({ principal, tool: 'query' });
    const { Redis } = await import('ioredis');
    const probe = new Redis(REDIS_URL, { lazyConnect: true });
    try {
      await probe.connect();
      expect(await probe.get(`bastion:rl:principal:reader:${principal.id}`)).toBe('1');
      expect(await probe.pttl(`bastion:rl:principal:reader:${principal.id}`)).toBeGreaterThan(0);
    } finally {
      probe.disconnect();
    }
  });

  it('two limiter instances (two replicas) admit exactly N calls in total for a limit of N a minute', async () => {
    const limit = 7;
    const extra = { redis: { url: REDIS_URL }, rate_limits: { per_principal_per_minute: limit } };
    const [replicaA, replicaB] = [await limiter(extra), await limiter(extra)];
    const principal = freshPrincipal();
    // Concurrent calls, alternating between the replicas.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => outcome((i % 2 === 0 ? replicaA : replicaB).consumeCall({ principal, tool: 'query' }))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(limit);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(30 - limit);
    // Both replicas now refuse the principal, with a retry delay.
    for (const replica of [replicaA, replicaB]) {
      const error: unknown = await replica.consumeCall({ principal, tool: 'query' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    }
  });

  it('shares per-tool and per-source budgets between replicas too', async () => {
    const source = freshSourceName();
    const extra = { redis: { url: REDIS_URL }, rate_limits: { per_principal_per_minute: 100, per_tool: { explain: 2 }, per_source: { [source]: 3 } } };
    const [replicaA, replicaB] = [await limiter(extra), await limiter(extra)];
    const principal = freshPrincipal();
    expect(await outcome(replicaA.consumeCall({ principal, tool: 'explain' }))).toBe('ok');
    expect(await outcome(replicaB.consumeCall({ principal, tool: 'explain' }))).toBe('ok');
    expect(await outcome(replicaA.consumeCall({ principal, tool: 'explain' }))).toBe('RATE_LIMITED');
    const bySource = [];
    for (let i = 0; i < 4; i++) {
      bySource.push(await outcome((i % 2 === 0 ? replicaA : replicaB).consumeCall({ principal: freshPrincipal(), tool: 'query', source })));
    }
    expect(bySource).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  });

  it('blocks an address on every replica once its failed authentications, counted on any replica, pass the limit', async () => {
    const extra = { redis: { url: REDIS_URL }, rate_limits: { auth_failures_per_minute: 4 } };
    const [replicaA, replicaB] = [await limiter(extra), await limiter(extra)];
    // A documentation range plus a random tail, so runs never share an address.
    const address = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;
    expect((await replicaA.consumeAuthFailure(address)).blocked).toBe(false);
    expect((await replicaB.consumeAuthFailure(address)).blocked).toBe(false);
    expect((await replicaA.consumeAuthFailure(address)).blocked).toBe(false);
    expect((await replicaB.consumeAuthFailure(address)).blocked).toBe(false);
    expect(await replicaB.consumeAuthFailure(address)).toMatchObject({ blocked: true, alreadyBlocked: false });
    const seen = await replicaA.consumeAuthFailure(address);
    expect(seen).toMatchObject({ blocked: true, alreadyBlocked: true });
    expect(seen.retryAfterMs).toBeGreaterThan(0);
    // Further failures stay blocked, also once a replica refuses them from its local block.
    for (let i = 0; i < 3; i++) expect(await replicaB.consumeAuthFailure(address)).toMatchObject({ blocked: true, alreadyBlocked: true });
  });

  const built = existsSync(new URL('../../dist/ratelimit/index.js', import.meta.url));
  it.skipIf(!built)(`two separate Node processes admit exactly N calls in total${built ? '' : ' (SKIPPED: dist/ratelimit missing; run npm run build)'}`, async () => {
    const limit = 5;
    const principal = freshPrincipal();
    const children = [replicaProcess(principal.id, limit, 12), replicaProcess(principal.id, limit, 12)];
    await Promise.all(children.map((c) => c.ready));
    for (const child of children) child.go();
    const counts = await Promise.all(children.map((c) => c.result));
    expect(counts.reduce((sum, c) => sum + c.ok, 0)).toBe(limit);
    expect(counts.reduce((sum, c) => sum + c.limited, 0)).toBe(24 - limit);
    expect(counts.every((c) => c.other === 0)).toBe(true);
  });
});

/** The compiled limiter in its own process: connects, prints "ready", waits for "go", makes `calls` calls. */
const REPLICA_SCRIPT = `
import { createRateLimiter } from './dist/ratelimit/index.js';
import { configSchema } from './dist/config/schema.js';
import { createLogger } from './dist/log/logger.js';
const env = process.env;
const config = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, redis: { url: env.RL_REDIS_URL }, rate_limits: { per_principal_per_minute: Number(env.RL_LIMIT) } });
const limiter = await createRateLimiter(config, createLogger('silent'));
const principal = { id: env.RL_PRINCIPAL, kind: 'api_key', role: 'reader', scopes: [] };
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  const counts = { ok: 0, limited: 0, other: 0 };
  await Promise.all(Array.from({ length: Number(env.RL_CALLS) }, () => limiter.consumeCall({ principal, tool: 'query' }).then(
    () => counts.ok++,
    (e) => (e && e.code === 'RATE_LIMITED' ? counts.limited++ : counts.other++),
  )));
  await limiter.close();
  process.stdout.write(JSON.stringify(counts) + '\\n');
  process.exit(0);
});
`;

interface ReplicaProcess {
  ready: Promise<void>;
  go(): void;
  result: Promise<{ ok: number; limited: number; other: number }>;
}

function replicaProcess(principalId: string, limit: number, calls: number): ReplicaProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', REPLICA_SCRIPT], {
    cwd: new URL('../..', import.meta.url),
    env: { ...process.env, RL_REDIS_URL: REDIS_URL, RL_PRINCIPAL: principalId, RL_LIMIT: String(limit), RL_CALLS: String(calls) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const lines = new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), resolve())));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (clearTimeout(deadline), resolve())));
  return {
    ready: Promise.race([lines, exited]).then(() => {
      if (!stdout.startsWith('ready')) throw new Error(`replica process did not start: ${stderr}`);
    }),
    go: () => child.stdin.end('go\n'),
    result: exited.then(() => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (!last.startsWith('{')) throw new Error(`replica process failed: ${stderr}`);
      return JSON.parse(last) as { ok: number; limited: number; other: number };
    }),
  };
}

requireRedisOrSkip(redisServerBinary);
const privateTitle = redisServerBinary.ok ? 'on a private redis-server this suite kills and restarts' : `SKIPPED: ${redisServerBinary.reason}`;

describe.skipIf(!redisServerBinary.ok)(`Redis outage, ${privateTitle}`, () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterAll(() => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });

  it('fails closed by default: refuses calls with LIMITER_UNAVAILABLE while Redis is down, then recovers on its own', async () => {
    const redis = await privateRedis();
    await redis.start();
    const captured = captureLog();
    const rl = await limiter({ redis: { url: redis.url }, rate_limits: { per_principal_per_minute: 1000, auth_failures_per_minute: 2 } }, captured);
    const principal = freshPrincipal();
    expect(await outcomes(3, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(times(3, 'ok'));

    await redis.kill();
    expect(await outcomes(5, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(times(5, 'LIMITER_UNAVAILABLE'));
    const error: unknown = await rl.consumeCall({ principal, tool: 'query' }).catch((e: unknown) => e);
    expect((error as BastionError).message).toBe('The rate-limit store is unreachable, so calls are refused until it is back.');
    // The failed-login throttle is not refused by the outage: it counts in this process, so a
    // failed login is still answered (401, audited) and a flood from one address is still cut
    // at its allowance (2 here): the 3rd failure starts the block, the 4th finds it started.
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await rl.consumeAuthFailure('192.0.2.77'));
    expect(during.map((v) => [v.blocked, v.alreadyBlocked])).toEqual([[false, false], [false, false], [true, false], [true, true]]);
    // One warning for the whole outage, not one per refused call; the local count ends nothing.
    expect(captured.count('warn', 'rate-limit store unreachable; calls are refused')).toBe(1);
    expect(captured.count('info', 'rate-limit store reachable again')).toBe(0);

    await redis.start();
    await expect.poll(() => outcome(rl.consumeCall({ principal, tool: 'query' })), RECOVERY).toBe('ok');
    expect(await outcomes(3, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(times(3, 'ok'));
    expect((await rl.consumeAuthFailure('192.0.2.1')).blocked).toBe(false);
    expect(captured.count('info', 'rate-limit store reachable again')).toBe(1);
    expect(captured.count('warn', 'rate-limit store unreachable')).toBe(1);
    expect(unhandled).toEqual([]);
  });

  it('still limits after recovering: the limit holds on the restarted Redis', async () => {
    const redis = await privateRedis();
    await redis.start();
    const rl = await limiter({ redis: { url: redis.url }, rate_limits: { per_principal_per_minute: 2 } });
    await redis.kill();
    await redis.start();
    const principal = freshPrincipal();
    await expect.poll(() => outcome(rl.consumeCall({ principal, tool: 'query' })), RECOVERY).toBe('ok');
    expect(await outcomes(2, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(['ok', 'RATE_LIMITED']);
  });

  it("with on_store_error: 'allow', lets calls through while Redis is down, and limits again once it is back", async () => {
    const redis = await privateRedis();
    await redis.start();
    const captured = captureLog();
    const rl = await limiter({ redis: { url: redis.url }, rate_limits: { per_principal_per_minute: 3, on_store_error: 'allow' } }, captured);
    const principal = freshPrincipal();
    expect(await outcomes(1, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(['ok']);

    await redis.kill();
    expect(await outcomes(10, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(times(10, 'ok'));
    expect(await rl.consumeAuthFailure('192.0.2.1')).toEqual({ blocked: false, alreadyBlocked: false, retryAfterMs: 0 });
    expect(captured.count('warn', 'rate-limit store unreachable; calls are let through without limits')).toBe(1);

    // Every call succeeds either way here, so recovery shows in the log, not in an outcome.
    await redis.start();
    const recovered = async (): Promise<number> => {
      await rl.consumeCall({ principal: freshPrincipal(), tool: 'query' });
      return captured.count('info', 'rate-limit store reachable again');
    };
    await expect.poll(recovered, RECOVERY).toBe(1);
    const fresh = freshPrincipal();
    expect(await outcomes(4, () => rl.consumeCall({ principal: fresh, tool: 'query' }))).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    expect(unhandled).toEqual([]);
  });

  it('fails closed when Redis hangs (connection open, no answers) instead of holding calls, and recovers when it answers again', async () => {
    const redis = await privateRedis();
    await redis.start();
    const captured = captureLog();
    const rl = await limiter({ redis: { url: redis.url }, rate_limits: { per_principal_per_minute: 1000 } }, captured);
    const principal = freshPrincipal();
    expect(await outcome(rl.consumeCall({ principal, tool: 'query' }))).toBe('ok');

    redis.pause();
    try {
      // Settles (the command timeout), refused; the test timeout is the only bound on "fast".
      expect(await outcomes(2, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(times(2, 'LIMITER_UNAVAILABLE'));
    } finally {
      redis.resume();
    }
    await expect.poll(() => outcome(rl.consumeCall({ principal, tool: 'query' })), RECOVERY).toBe('ok');
    expect(captured.count('warn', 'rate-limit store unreachable')).toBe(1);
    expect(unhandled).toEqual([]);
  });

  it('starts while Redis is unreachable (refusing calls) and begins admitting them when Redis comes up', async () => {
    const redis = await privateRedis();
    const captured = captureLog();
    const rl = await limiter({ redis: { url: redis.url } }, captured);
    expect(rl.store).toBe('redis');
    expect(captured.count('warn', 'rate-limit Redis is not reachable yet')).toBe(1);
    const principal = freshPrincipal();
    expect(await outcome(rl.consumeCall({ principal, tool: 'query' }))).toBe('LIMITER_UNAVAILABLE');

    await redis.start();
    await expect.poll(() => outcome(rl.consumeCall({ principal, tool: 'query' })), RECOVERY).toBe('ok');
    expect(unhandled).toEqual([]);
  });

  it('close() ends the connection even while Redis is down, so nothing keeps reconnecting', async () => {
    const redis = await privateRedis();
    await redis.start();
    const rl = await createRateLimiter(config({ redis: { url: redis.url } }), captureLog().log);
    await redis.kill();
    await rl.close();
    await redis.start();
    // A closed limiter does not reconnect: its calls fail instead of quietly coming back.
    expect(await outcome(rl.consumeCall({ principal: freshPrincipal(), tool: 'query' }))).toBe('LIMITER_UNAVAILABLE');
  });
});
