import { RateLimiterMemory } from 'rate-limiter-flexible';
import { KEY_PREFIX, summarizeError, WINDOW_SECONDS, type CounterStore } from './store.js';

/** Counters in this process: right for one server, wrong for replicas (each would count alone). */
export function createMemoryStore(): CounterStore {
  return {
    kind: 'memory',
    bucket: ({ name, points }) => new RateLimiterMemory({ keyPrefix: `${KEY_PREFIX}${name}`, points, duration: WINDOW_SECONDS }),
    describeFailure: (cause) => ({ cause: summarizeError(cause) }),
    close: async () => undefined,
  };
}
