import { BastionError } from '../errors/codes.js';

/** Whole seconds for a Retry-After header or a message: rounded up, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/**
 * A call refused because one of its buckets is empty. `retryAfterMs` is public so
 * the HTTP layer can answer 429 with Retry-After without parsing the message.
 */
export class RateLimitedError extends BastionError {
  readonly retryAfterMs: number;

  /**
   * `bucket` names what ran out in client-safe words, e.g. `tool "query" (10 calls/min)`;
   * `raise` says which setting lifts it, e.g. `set rate_limits.per_tool.query in the configuration file`.
   * Both name only configuration keys and the caller's own role, tool and source.
   */
  constructor(bucket: string, retryAfterMs: number, raise?: string) {
    // The library reports a non-positive delay at a window's very end; the caller must still wait.
    const delay = Math.max(1, Math.ceil(retryAfterMs));
    const howToRaise = raise === undefined ? '' : ` To raise the limit, ${raise}.`;
    super('RATE_LIMITED', `Rate limit reached for ${bucket}; retry in ${retryAfterSeconds(delay)} s.${howToRaise}`, { bucket, retryAfterMs: delay });
    this.retryAfterMs = delay;
  }

  get retryAfterSeconds(): number {
    return retryAfterSeconds(this.retryAfterMs);
  }
}

