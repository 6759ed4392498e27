/**
 * Two Bastion server processes (replicas) sharing rate limits through Redis: a
 * global limit of N calls per minute admits exactly N across both (session openings
 * included). With Redis gone, calls are refused and both servers stay up; with Redis
 * back, calls succeed again without a restart.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { privateRedis, redisServerBinary, REDIS_URL, sharedRedis, stopPrivateRedis } from '../helpers/redis.js';
import { cleanup, demoConfigWithJwt, dirWithConfig, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

const SECRET = 'replica-test-secret-0123456789abcdef012345';
const ENV = { BASTION_TEST_JWT_SECRET: SECRET };

function config(redisUrl: string, perMinute: number): string {
  // Both replicas run in one folder; each audit file folder has one writer, so here
  // the audit goes to stderr, as it would in containers.
  return demoConfigWithJwt('replica-test', {
    extra: ['rate_limits:', `  per_principal_per_minute: ${perMinute}`, 'redis:', `  url: ${redisUrl}`, 'audit:', '  sinks: [stderr]'],
  });
}

async function session(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'replica-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

function code(result: CallToolResult): string {
  const first = result.content[0];
  const text = first?.type === 'text' ? first.text : '';
  return result.isError ? (/^([A-Z_]+):/.exec(text)?.[1] ?? 'ERROR') : 'OK';
}

/** OK or the tool error code (LIMITER_UNAVAILABLE while Redis is down: the call itself is refused, in its session). */
async function call(client: Client): Promise<string> {
  return code((await client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult);
}

afterAll(async () => {
  await cleanup();
  await stopPrivateRedis();
});

describe.skipIf(!sharedRedis.ok)('two replicas share one rate limit through the real Redis', () => {
  it('a global limit of N calls per minute admits exactly N across both servers', async () => {
    const limit = 7;
    const cwd = dirWithConfig(config(REDIS_URL, limit));
    const [a, b] = await Promise.all([startHttp([], { cwd, env: ENV, auth: true }), startHttp([], { cwd, env: ENV, auth: true })]);
    // one principal (a fresh subject, so earlier runs never share its counter) on both replicas
    const subject = `replica-${randomBytes(6).toString('hex')}`;
    const token = (await runCli(['token', 'issue', '--sub', subject, '--role', 'reader', '--ttl', '10m'], { cwd, env: ENV })).stdout.trim();
    const clients = [await session(a.url, token), await session(b.url, token)];
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) outcomes.push(await call(clients[i % 2]!));
    // Opening a session spends one of the principal's calls as well (one on each replica),
    // counted in the same shared bucket: N - 2 tool calls remain for the minute.
    const callsLeft = limit - clients.length;
    expect(outcomes.filter((o) => o === 'OK')).toHaveLength(callsLeft);
    expect(outcomes.slice(callsLeft).every((o) => o === 'RATE_LIMITED')).toBe(true);
    for (const client of clients) await client.close();
  });
});

describe.skipIf(!redisServerBinary.ok)('Redis outage with real server processes', () => {
  it('with Redis stopped calls are refused and the servers stay up; with Redis back they succeed again', async () => {
    const redis = await privateRedis();
    await redis.start();
    const cwd = dirWithConfig(config(redis.url, 1000));
    const servers: HttpBastion[] = await Promise.all([startHttp([], { cwd, env: ENV, auth: true }), startHttp([], { cwd, env: ENV, auth: true })]);
    const token = (await runCli(['token', 'issue', '--sub', 'outage', '--role', 'reader', '--ttl', '10m'], { cwd, env: ENV })).stdout.trim();
    const clients = await Promise.all(servers.map((s) => session(s.url, token)));
    for (const client of clients) expect(await call(client)).toBe('OK');

    await redis.kill();
    for (const client of clients) expect(await call(client)).toBe('LIMITER_UNAVAILABLE');
    for (const server of servers) expect(server.child.exitCode).toBeNull();

    await redis.start();
    for (const client of clients) {
      await expect.poll(() => call(client), { timeout: 15_000, interval: 200 }).toBe('OK');
    }
    for (const client of clients) await client.close();
  });
});
