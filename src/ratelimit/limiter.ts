import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Principal } from '../auth/identity/principal.js';
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
  /** The transport counted this call against the principal's bucket as it arrived (consumePrincipal): only the tool's and the source's remain. */
  readonly principalCounted?: boolean | undefined;
}

export interface AuthThrottle {
  /** True from the first failure past the address's allowance for the current minute (the N+1th of N). */
  readonly blocked: boolean;
  /** True when the address was blocked before this failure: the N+2th and later. */
  readonly alreadyBlocked: boolean;
  /** How long until the address's failures are answered normally again; 0 when not blocked. */
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
  /**
   * Counts one request against the principal's bucket, like a call: the opening of an MCP
   * session, a stateless 2026-07-28 HTTP request as it arrives, a tool call refused before its
   * tool runs; so a flood of any of them is limited like a call flood. Throws as consumeCall does.
   */
  consumePrincipal(principal: Principal): Promise<void>;
  /**
   * Counts one failed authentication from `address`; says whether this failure is past
   * the allowance. The first `auth_failures_per_minute` failures of a minute are not.
   * Only failures are counted, after the credential was checked: a valid credential is
   * never refused because of failures from the same address. While Redis is down, the
   * failures are counted in this process, so a failed login is still answered 401 (and
   * audited) or 429, never refused for the outage.
   */
  consumeAuthFailure(address: string): Promise<AuthThrottle>;
  close(): Promise<void>;
}

interface Bucket {
  readonly limiter: RateLimiterAbstract;
  /** Client-safe words for the error message, built once. */
  readonly label: string;
  /** The setting that raises this limit, for the error message. */
  readonly raise: string;
}

const NOT_BLOCKED: AuthThrottle = { blocked: false, alreadyBlocked: false, retryAfterMs: 0 };

/** Where a limit is set, for the message that tells a refused caller how to raise it. */
const IN_CONFIG = 'in the configuration file (bastion.yaml)';

export async function createRateLimiter(config: BastionConfig, log: Logger): Promise<RateLimiter> {
  const limits = config.rate_limits;
  const store: CounterStore = config.redis ? await createRedisStore(config.redis.url, log) : createMemoryStore();
  const outage = new StoreOutage(limits.on_store_error, log, (cause) => store.describeFailure(cause));

  const bucket = (name: string, points: number, label: string, raise: string): Bucket => ({ limiter: store.bucket({ name, points }), label, raise });

  // Keyed by role as well as principal id, so a principal counts the same in memory and in Redis
  // even when it holds credentials for two roles with different limits. Roles form a closed set.
  const principalBuckets = new Map<string, Bucket>();
  const principalBucket = (role: string): Bucket => {
    let found = principalBuckets.get(role);
    if (found === undefined) {
      const ownLimit = config.roles[role]?.rate_limit_per_minute;
      const points = ownLimit ?? limits.per_principal_per_minute;
      const raise =
        ownLimit === undefined
          ? `set rate_limits.per_principal_per_minute ${IN_CONFIG}, or start bastion serve with --rate-limit N (the flag wins)`
          : `set roles.${role}.rate_limit_per_minute ${IN_CONFIG}`;
      found = bucket(`principal:${role}`, points, `this principal (${points} calls/min)`, raise);
      principalBuckets.set(role, found);
    }
    return found;
  };
  const toolBuckets = new Map(
    Object.entries(limits.per_tool).map(([tool, points]) => [
      tool,
      bucket(`tool:${encodeURIComponent(tool)}`, points, `tool "${tool}" (${points} calls/min)`, `set rate_limits.per_tool.${tool} ${IN_CONFIG}`),
    ]),
  );
  const sourceBuckets = new Map(
    Object.entries(limits.per_source).map(([source, points]) => [
      source,
      bucket('source', points, `source "${source}" (${points} calls/min for all callers)`, `set rate_limits.per_source.${source} ${IN_CONFIG}`),
    ]),
  );
  const authFailures = store.bucket({ name: 'auth-failures', points: limits.auth_failures_per_minute, localFallback: true });

  async function take({ limiter, label, raise }: Bucket, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new RateLimitedError(label, rejection.msBeforeNext, raise);
      outage.failed(rejection);
      return;
    }
    outage.answered();
  }

  const blockedFor = (msBeforeNext: number, alreadyBlocked: boolean): AuthThrottle => ({ blocked: true, alreadyBlocked, retryAfterMs: Math.max(1, msBeforeNext) });

  return {
    store: store.kind,

    async consumeCall({ principal, tool, source, principalCounted }) {
      // One bucket after the other: a principal refused for its own limit never
      // spends the budget of a source that every principal shares.
      if (principalCounted !== true) await take(principalBucket(principal.role), principal.id);
      const toolBucket = toolBuckets.get(tool);
      if (toolBucket !== undefined) await take(toolBucket, principal.id);
      if (source === undefined) return;
      const sourceBucket = sourceBuckets.get(source);
      if (sourceBucket !== undefined) await take(sourceBucket, source);
    },

    consumePrincipal: (principal) => take(principalBucket(principal.role), principal.id),

    async consumeAuthFailure(address) {
      try {
        // No outage.answered() here: during an outage the local fallback answers, which says
        // nothing about the store; the calls' buckets report when it is back.
        await authFailures.consume(addressKey(address));
        return NOT_BLOCKED;
      } catch (rejection) {
        // Past the allowance. The store counts atomically, so exactly one failure (on one
        // replica) sees the count one past the allowance: the block starts there. A replica's
        // local block reports no count (0), only the delay: that failure is a later one.
        if (rejection instanceof RateLimiterRes) return blockedFor(rejection.msBeforeNext, rejection.consumedPoints !== authFailures.points + 1);
        outage.failed(rejection);
        return NOT_BLOCKED;
      }
    },

    close: () => store.close(),
  };
}
