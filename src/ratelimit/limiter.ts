import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Principal } from '../auth/principal.js';
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { addressKey } from './address.js';
import { RateLimitedError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import { StoreOutage } from './outage.js';
import { createRedisStore } from './redis-store.js';
import type { CounterStore } from './store.js';

export interface CallInput {
  readonly principal: Principal;
  /** The tool being called. */
  readonly tool: string;
  /** The resolved source name, when the tool uses one. */
  readonly source?: string | undefined;
}

export interface AuthThrottle {
  /** True once the address used up its failed authentications for the current minute. */
  readonly blocked: boolean;
  /** How long until the address may try again; 0 when not blocked. */
  readonly retryAfterMs: number;
}

export interface RateLimiter {
  /** Where counters live: 'redis' (shared by replicas) when redis.url is set. */
  readonly store: 'memory' | 'redis';
  /**
   * Counts one call against the principal's, the tool's and the source's buckets, in
   * that order. Throws RateLimitedError (RATE_LIMITED) when a bucket is empty, and
   * LIMITER_UNAVAILABLE when the store is down and on_store_error is 'deny'.
   */
  consumeCall(input: CallInput): Promise<void>;
  /** Counts one failed authentication from `address`; says whether it is now blocked. */
  consumeAuthFailure(address: string): Promise<AuthThrottle>;
  /** Whether `address` is blocked, to answer 429 before even checking its credentials. */
  isAuthBlocked(address: string): Promise<AuthThrottle>;
  close(): Promise<void>;
}

interface Bucket {
  readonly limiter: RateLimiterAbstract;
  /** Client-safe words for the error message, built once. */
  readonly label: string;
}

const NOT_BLOCKED: AuthThrottle = { blocked: false, retryAfterMs: 0 };

export async function createRateLimiter(config: BastionConfig, log: Logger): Promise<RateLimiter> {
  const limits = config.rate_limits;
  const store: CounterStore = config.redis ? await createRedisStore(config.redis.url, log) : createMemoryStore();
  const outage = new StoreOutage(limits.on_store_error, log, (cause) => store.describeFailure(cause));

  const bucket = (name: string, points: number, label: string): Bucket => ({ limiter: store.bucket({ name, points }), label });

  // Keyed by role as well as principal id, so a principal counts the same in memory and in Redis
  // even when it holds credentials for two roles with different limits. Roles form a closed set.
  const principalBuckets = new Map<string, Bucket>();
  const principalBucket = (role: string): Bucket => {
    let found = principalBuckets.get(role);
    if (found === undefined) {
      const points = config.roles[role]?.rate_limit_per_minute ?? limits.per_principal_per_minute;
      found = bucket(`principal:${role}`, points, `this principal (${points} calls/min)`);
      principalBuckets.set(role, found);
    }
    return found;
  };
  const toolBuckets = new Map(
    Object.entries(limits.per_tool).map(([tool, points]) => [tool, bucket(`tool:${encodeURIComponent(tool)}`, points, `tool "${tool}" (${points} calls/min)`)]),
  );
  const sourceBuckets = new Map(
    Object.entries(limits.per_source).map(([source, points]) => [source, bucket('source', points, `source "${source}" (${points} calls/min for all callers)`)]),
  );
  const authFailures = store.bucket({ name: 'auth-failures', points: limits.auth_failures_per_minute });

  async function take({ limiter, label }: Bucket, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new RateLimitedError(label, rejection.msBeforeNext);
      outage.failed(rejection);
      return;
    }
    outage.answered();
  }

  const blockedFor = (msBeforeNext: number): AuthThrottle => ({ blocked: true, retryAfterMs: Math.max(1, msBeforeNext) });
  // Blocked from the failure that uses up the allowance: the next attempt is refused unchecked.
  const throttleOf = (res: RateLimiterRes | null): AuthThrottle =>
    res === null || res.consumedPoints < authFailures.points ? NOT_BLOCKED : blockedFor(res.msBeforeNext);

  return {
    store: store.kind,

    async consumeCall({ principal, tool, source }) {
      // One bucket after the other: a principal refused for its own limit never
      // spends the budget of a source that every principal shares.
      await take(principalBucket(principal.role), principal.id);
      const toolBucket = toolBuckets.get(tool);
      if (toolBucket !== undefined) await take(toolBucket, principal.id);
      if (source === undefined) return;
      const sourceBucket = sourceBuckets.get(source);
      if (sourceBucket !== undefined) await take(sourceBucket, source);
    },

    async consumeAuthFailure(address) {
      try {
        const res = await authFailures.consume(addressKey(address));
        outage.answered();
        return throttleOf(res);
      } catch (rejection) {
        // Past the allowance; a replica's local block reports no count, only the delay.
        if (rejection instanceof RateLimiterRes) return blockedFor(rejection.msBeforeNext);
        outage.failed(rejection);
        return NOT_BLOCKED;
      }
    },

    async isAuthBlocked(address) {
      let res: RateLimiterRes | null;
      try {
        res = await authFailures.get(addressKey(address));
      } catch (err) {
        outage.failed(err);
        return NOT_BLOCKED;
      }
      outage.answered();
      return throttleOf(res);
    },

    close: () => store.close(),
  };
}
