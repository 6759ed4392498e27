import { BastionError } from '../errors/codes.js';
import type { Source } from './source.js';

/** What a SOURCE_BUSY answer says when the caller already has its share of a source in flight. */
export function principalBusyMessage(limit: number): string {
  return `You already have ${limit} call${limit === 1 ? '' : 's'} running on this source (limits.max_in_flight_per_principal); retry when one of them has finished.`;
}

/** What a SOURCE_BUSY answer says when no connection of the source freed up in time. */
export function poolBusyMessage(waitMs: number): string {
  return `Every connection of this source is in use and none freed up within ${waitMs} ms; the source is reachable, retry in a few seconds.`;
}

/**
 * Statements in flight per principal and source: one principal cannot hold every
 * connection of a source. A call past its share is refused at once (SOURCE_BUSY), before
 * it takes or waits for a connection. The counts live beside the source object, so every
 * session and transport of the process shares them.
 */
const inFlight = new WeakMap<Source, Map<string, number>>();

/**
 * Takes one of `principal`'s `limit` slots on `source`, or throws SOURCE_BUSY. The returned
 * function gives the slot back; it is idempotent, so a `finally` may always call it.
 */
export function enterFairShare(source: Source, principal: string, limit: number): () => void {
  let counts = inFlight.get(source);
  if (counts === undefined) {
    counts = new Map();
    inFlight.set(source, counts);
  }
  const held = counts.get(principal) ?? 0;
  if (held >= limit) throw new BastionError('SOURCE_BUSY', principalBusyMessage(limit));
  counts.set(principal, held + 1);
  let released = false;
  const map = counts;
  return () => {
    if (released) return;
    released = true;
    const now = (map.get(principal) ?? 1) - 1;
    if (now <= 0) map.delete(principal);
    else map.set(principal, now);
  };
}

/** Runs `work` inside one of the principal's slots on the source; the slot is given back however `work` ends. */
export async function withFairShare<T>(source: Source, principal: string, limit: number, work: () => Promise<T>): Promise<T> {
  const release = enterFairShare(source, principal, limit);
  try {
    return await work();
  } finally {
    release();
  }
}

/**
 * A bounded wait for one of `max` connections of a pool: `acquire` resolves with a
 * release function once a slot is free, or throws SOURCE_BUSY after `waitMs` (or
 * QUERY_CANCELLED when `signal` aborts first). A pool guarded by it never queues, so its
 * own timeout only ever means that connecting failed (SOURCE_UNAVAILABLE).
 */
export class ConnectionSlots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly waitMs: number,
  ) {}

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) throw new BastionError('QUERY_CANCELLED');
    if (this.used < this.max && this.waiters.length === 0) {
      this.used++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const leave = (error: BastionError): void => {
        const at = this.waiters.indexOf(wake);
        if (at >= 0) this.waiters.splice(at, 1);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        leave(new BastionError('QUERY_CANCELLED'));
      };
      const timer = setTimeout(() => leave(new BastionError('SOURCE_BUSY', poolBusyMessage(this.waitMs))), this.waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(wake);
    });
    // The slot was handed over by release(): `used` was not decremented for it.
    return this.releaser();
  }

  /** Slots in use and calls waiting for one. */
  stats(): { used: number; waiting: number } {
    return { used: this.used, waiting: this.waiters.length };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next !== undefined) next();
      else this.used--;
    };
  }
}
