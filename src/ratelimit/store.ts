import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** Every counter Bastion keeps lives under this prefix, in memory and in Redis alike. */
export const KEY_PREFIX = 'bastion:rl:';

/** All limits are per minute; the library counts a fixed window per key. */
export const WINDOW_SECONDS = 60;

export interface BucketSpec {
  /** Appended to KEY_PREFIX; the library adds `:<key>`. */
  readonly name: string;
  /** Calls admitted per window. */
  readonly points: number;
  /**
   * Count in this process while a shared store is down, instead of failing. Only for
   * the failed-login throttle: authentication must keep working in an outage (every
   * call after it still fails closed), and a local count still bounds a flood.
   */
  readonly localFallback?: boolean;
}

/** Where the counters live: this process, or a Redis shared by every replica. */
export interface CounterStore {
  readonly kind: 'memory' | 'redis';
  bucket(spec: BucketSpec): RateLimiterAbstract;
  /** Log fields that say why the store failed: the cause, and what the connection knows. */
  describeFailure(cause: unknown): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * An expected store failure, for the log: message and code, without the stack,
 * which shows only client internals.
 */
export function summarizeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  return code === undefined ? { message: error.message } : { message: error.message, code };
}
