/**
 * The rate limiter with its default, in-process store: how many calls each bucket
 * admits per minute, what a refused call is told, and the throttle on failed
 * authentication. Configs go through the real schema, so defaults are the shipped ones.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter, RateLimitedError, type RateLimiter } from '../../src/ratelimit/index.js';
import { captureLog, config, freshPrincipal, outcome, outcomes, times } from './support.js';

const limiters: RateLimiter[] = [];

async function limiter(extra: Record<string, unknown> = {}): Promise<RateLimiter> {
  const created = await createRateLimiter(config(extra), captureLog().log);
  limiters.push(created);
  return created;
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(limiters.splice(0).map((l) => l.close()));
});

async function refusal(call: Promise<unknown>): Promise<RateLimitedError> {
  const error: unknown = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RateLimitedError);
  return error as RateLimitedError;
}

describe('per principal', () => {
  it('keeps its counters in memory when redis.url is not set', async () => {
    expect((await limiter()).store).toBe('memory');
  });

  it('admits exactly 60 calls a minute by default, then refuses the 61st with RATE_LIMITED', async () => {
    const rl = await limiter();
    const principal = freshPrincipal();
    const results = await outcomes(61, () => rl.consumeCall({ principal, tool: 'query' }));
    expect(results).toEqual([...times(60, 'ok'), 'RATE_LIMITED']);
  });

  it('counts session openings in the same bucket as calls: an initialize flood spends the budget, and another principal keeps its own', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 4 } });
    const flooder = freshPrincipal();
    expect(await outcomes(3, () => rl.consumePrincipal(flooder))).toEqual(times(3, 'ok'));
    expect(await outcomes(3, () => rl.consumeCall({ principal: flooder, tool: 'query' }))).toEqual(['ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    const error = await refusal(rl.consumePrincipal(flooder));
    expect(error.message).toContain('rate_limits.per_principal_per_minute');
    const other = freshPrincipal();
    expect(await outcomes(2, () => rl.consumePrincipal(other))).toEqual(times(2, 'ok'));
  });

  it('admits exactly per_principal_per_minute calls, and every call past it is refused', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 5 } });
    const principal = freshPrincipal();
    const results = await outcomes(9, () => rl.consumeCall({ principal, tool: 'query' }));
    expect(results).toEqual([...times(5, 'ok'), ...times(4, 'RATE_LIMITED')]);
  });

  it('tells a refused caller the retry delay in seconds, in the message and as retryAfterMs', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 1 } });
    const principal = freshPrincipal();
    await rl.consumeCall({ principal, tool: 'query' });
    const error = await refusal(rl.consumeCall({ principal, tool: 'query' }));
    expect(error.code).toBe('RATE_LIMITED');
    const seconds = Number(/retry in (\d+) s\./.exec(error.message)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(error.retryAfterSeconds).toBe(seconds);
    expect(error.detail).toMatchObject({ retryAfterMs: error.retryAfterMs });
    expect(error.message).toBe(
      `Rate limit reached for this principal (1 calls/min); retry in ${seconds} s. To raise the limit, set rate_limits.per_principal_per_minute in the configuration file (bastion.yaml), or start bastion serve with --rate-limit N (the flag wins).`,
    );
  });

  it('admits the principal again once the announced retry delay has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 2 } });
    const principal = freshPrincipal();
    await rl.consumeCall({ principal, tool: 'query' });
    vi.advanceTimersByTime(20_000);
    await rl.consumeCall({ principal, tool: 'query' });
    const error = await refusal(rl.consumeCall({ principal, tool: 'query' }));
    expect(error.retryAfterMs).toBeLessThanOrEqual(40_000);
    vi.advanceTimersByTime(error.retryAfterMs);
    expect(await outcomes(3, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(['ok', 'ok', 'RATE_LIMITED']);
  });

  it('counts each principal on its own: one exhausted principal does not limit another', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 2 } });
    const greedy = freshPrincipal();
    const other = freshPrincipal();
    await outcomes(5, () => rl.consumeCall({ principal: greedy, tool: 'query' }));
    expect(await outcomes(2, () => rl.consumeCall({ principal: other, tool: 'query' }))).toEqual(['ok', 'ok']);
  });

  it('uses roles[role].rate_limit_per_minute for principals of that role, and the default for the others', async () => {
    const rl = await limiter({
      rate_limits: { per_principal_per_minute: 4 },
      roles: { batch: { tools: ['query'], rate_limit_per_minute: 2 }, bulk: { tools: ['query'], rate_limit_per_minute: 7 } },
    });
    const batch = freshPrincipal('batch');
    const bulk = freshPrincipal('bulk');
    const reader = freshPrincipal('reader');
    const custom = freshPrincipal('analyst');
    expect(await outcomes(3, () => rl.consumeCall({ principal: batch, tool: 'query' }))).toEqual(['ok', 'ok', 'RATE_LIMITED']);
    expect(await outcomes(8, () => rl.consumeCall({ principal: bulk, tool: 'query' }))).toEqual([...times(7, 'ok'), 'RATE_LIMITED']);
    expect(await outcomes(5, () => rl.consumeCall({ principal: reader, tool: 'query' }))).toEqual([...times(4, 'ok'), 'RATE_LIMITED']);
    expect(await outcomes(5, () => rl.consumeCall({ principal: custom, tool: 'query' }))).toEqual([...times(4, 'ok'), 'RATE_LIMITED']);
    const error = await refusal(rl.consumeCall({ principal: batch, tool: 'query' }));
    expect(error.message).toContain('this principal (2 calls/min)');
    // The role's own limit is what to raise; the flag does not change it.
    expect(error.message).toContain('To raise the limit, set roles.batch.rate_limit_per_minute in the configuration file');
    expect(error.message).not.toContain('--rate-limit');
  });
});

describe('per tool', () => {
  it('limits one tool per principal, leaving the principal free to call other tools', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 100, per_tool: { query: 2 } } });
    const principal = freshPrincipal();
    expect(await outcomes(3, () => rl.consumeCall({ principal, tool: 'query' }))).toEqual(['ok', 'ok', 'RATE_LIMITED']);
    const error = await refusal(rl.consumeCall({ principal, tool: 'query' }));
    expect(error.message).toMatch(/^Rate limit reached for tool "query" \(2 calls\/min\); retry in \d+ s\. To raise the limit, set rate_limits\.per_tool\.query in the configuration file \(bastion\.yaml\)\.$/);
    expect(await outcomes(5, () => rl.consumeCall({ principal, tool: 'list_tables' }))).toEqual(times(5, 'ok'));
  });

  it('gives every principal its own per-tool budget', async () => {
    const rl = await limiter({ rate_limits: { per_tool: { explain: 1 } } });
    const first = freshPrincipal();
    const second = freshPrincipal();
    expect(await outcomes(2, () => rl.consumeCall({ principal: first, tool: 'explain' }))).toEqual(['ok', 'RATE_LIMITED']);
    expect(await outcome(rl.consumeCall({ principal: second, tool: 'explain' }))).toBe('ok');
  });
});

describe('per source', () => {
  it('limits a source across all principals together', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 100, per_source: { app: 3 } } });
    const principals = [freshPrincipal(), freshPrincipal(), freshPrincipal(), freshPrincipal()];
    const results = [];
    for (const principal of principals) results.push(await outcome(rl.consumeCall({ principal, tool: 'query', source: 'app' })));
    expect(results).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
    const error = await refusal(rl.consumeCall({ principal: freshPrincipal(), tool: 'query', source: 'app' }));
    expect(error.message).toMatch(
      /^Rate limit reached for source "app" \(3 calls\/min for all callers\); retry in \d+ s\. To raise the limit, set rate_limits\.per_source\.app in the configuration file \(bastion\.yaml\)\.$/,
    );
  });

  it('leaves sources without a per_source limit, and calls without a source, to the principal limit alone', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 100, per_source: { app: 1 } } });
    const principal = freshPrincipal();
    expect(await outcomes(5, () => rl.consumeCall({ principal, tool: 'query', source: 'other' }))).toEqual(times(5, 'ok'));
    expect(await outcomes(5, () => rl.consumeCall({ principal, tool: 'list_sources' }))).toEqual(times(5, 'ok'));
  });

  it('attack: a principal hammering past its own limit does not use up the source budget others share', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 2, per_source: { app: 5 } } });
    const attacker = freshPrincipal();
    const attack = await outcomes(50, () => rl.consumeCall({ principal: attacker, tool: 'query', source: 'app' }));
    expect(attack).toEqual([...times(2, 'ok'), ...times(48, 'RATE_LIMITED')]);
    // Effect: the source still has 5 - 2 = 3 calls left for everyone else this minute.
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await outcome(rl.consumeCall({ principal: freshPrincipal(), tool: 'query', source: 'app' })));
    expect(others).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED']);
  });
});

describe('failed authentication per address', () => {
  it('admits auth_failures_per_minute failures, blocks the next one, and tells the failures past it apart', async () => {
    const rl = await limiter({ rate_limits: { auth_failures_per_minute: 3 } });
    for (let i = 0; i < 3; i++) expect(await rl.consumeAuthFailure('203.0.113.7')).toEqual({ blocked: false, alreadyBlocked: false, retryAfterMs: 0 });
    const fourth = await rl.consumeAuthFailure('203.0.113.7');
    expect(fourth).toMatchObject({ blocked: true, alreadyBlocked: false });
    expect(fourth.retryAfterMs).toBeGreaterThan(0);
    expect(fourth.retryAfterMs).toBeLessThanOrEqual(60_000);
    const fifth = await rl.consumeAuthFailure('203.0.113.7');
    expect(fifth).toMatchObject({ blocked: true, alreadyBlocked: true });
    expect(fifth.retryAfterMs).toBeGreaterThan(0);
  });

  it('uses the shipped default of 10 failures a minute: the 11th is the first blocked', async () => {
    const rl = await limiter();
    const results = [];
    for (let i = 0; i < 12; i++) results.push((await rl.consumeAuthFailure('198.51.100.1')).blocked);
    expect(results).toEqual([...new Array<boolean>(10).fill(false), true, true]);
  });

  it('does not block other addresses, and unblocks the address when the minute is over', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const rl = await limiter({ rate_limits: { auth_failures_per_minute: 2 } });
    await rl.consumeAuthFailure('192.0.2.10');
    expect((await rl.consumeAuthFailure('192.0.2.10')).blocked).toBe(false);
    const blocked = await rl.consumeAuthFailure('192.0.2.10');
    expect(blocked.blocked).toBe(true);
    expect((await rl.consumeAuthFailure('192.0.2.11')).blocked).toBe(false);
    vi.advanceTimersByTime(blocked.retryAfterMs);
    expect((await rl.consumeAuthFailure('192.0.2.10')).blocked).toBe(false);
  });

  it('attack: rotating through the addresses of one IPv6 /64 does not reset the throttle', async () => {
    const rl = await limiter({ rate_limits: { auth_failures_per_minute: 3 } });
    await rl.consumeAuthFailure('2001:db8:1:2::1');
    await rl.consumeAuthFailure('2001:db8:1:2:aaaa::2');
    await rl.consumeAuthFailure('2001:db8:1:2:bbbb::3');
    expect(await rl.consumeAuthFailure('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toMatchObject({ blocked: true, alreadyBlocked: false });
    expect(await rl.consumeAuthFailure('2001:db8:1:2:1234:5678:9abc:def0')).toMatchObject({ blocked: true, alreadyBlocked: true });
    expect((await rl.consumeAuthFailure('2001:db8:1:3::1')).blocked).toBe(false);
  });

  it('attack: an IPv4 address written as IPv4-mapped IPv6 counts as the same address', async () => {
    const rl = await limiter({ rate_limits: { auth_failures_per_minute: 2 } });
    await rl.consumeAuthFailure('::ffff:203.0.113.9');
    await rl.consumeAuthFailure('203.0.113.9');
    expect(await rl.consumeAuthFailure('::ffff:203.0.113.9')).toMatchObject({ blocked: true, alreadyBlocked: false });
    expect(await rl.consumeAuthFailure('::FFFF:203.0.113.9')).toMatchObject({ blocked: true, alreadyBlocked: true });
  });

  it('keeps failed authentications apart from call budgets', async () => {
    const rl = await limiter({ rate_limits: { per_principal_per_minute: 1, auth_failures_per_minute: 1 } });
    await rl.consumeAuthFailure('127.0.0.1');
    expect(await outcome(rl.consumeCall({ principal: freshPrincipal(), tool: 'query' }))).toBe('ok');
  });
});
