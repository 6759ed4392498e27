import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { KEY_PREFIX, summarizeError, WINDOW_SECONDS, type CounterStore } from './store.js';

/**
 * A dead Redis must answer fast, because every call waits on it: no offline
 * queue (a command fails at once while disconnected), short connect and command
 * timeouts, one retry. Reconnection never stops, so the limiter recovers by itself.
 */
const CLIENT_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  connectTimeout: 1000,
  commandTimeout: 500,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  connectionName: 'bastion-ratelimit',
};

/** Counters in Redis, so every replica enforces the same global limits. */
export async function createRedisStore(url: string, log: Logger): Promise<CounterStore> {
  if (!/^rediss?:\/\//i.test(url)) {
    throw new BastionError('CONFIG_INVALID', 'redis.url must start with redis:// or rediss://.');
  }
  // ioredis loads only when Redis is configured.
  const { Redis } = await import('ioredis');
  const client: RedisClient = new Redis(url, CLIENT_OPTIONS);
  // Without a listener ioredis prints every failed reconnect to stderr. The limiter
  // reports an outage once, when a call meets it; this keeps the reason for that report.
  let connectionError: unknown;
  client.on('error', (err: unknown) => {
    connectionError = err;
    log.debug({ err: summarizeError(err) }, 'rate-limit Redis connection error');
  });
  client.on('ready', () => (connectionError = undefined));
  try {
    await client.connect();
    log.info('rate limits are kept in Redis');
  } catch (err) {
    // Not fatal: the server starts, and calls follow rate_limits.on_store_error until Redis answers.
    log.warn({ cause: summarizeError(connectionError ?? err) }, 'rate-limit Redis is not reachable yet; reconnecting in the background');
  }
  return {
    kind: 'redis',
    bucket: ({ name, points, localFallback }) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${KEY_PREFIX}${name}`,
        points,
        duration: WINDOW_SECONDS,
        // Fail at once while reconnecting instead of waiting on a socket that is not there.
        rejectIfRedisNotReady: true,
        // Once a key is over its limit, this replica refuses it locally until the window
        // ends, so a client hammering past its limit does not also hammer Redis.
        inMemoryBlockOnConsumed: points + 1,
        // The library's own fallback: while Redis fails, this replica counts alone.
        ...(localFallback === true ? { insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${KEY_PREFIX}local:${name}`, points, duration: WINDOW_SECONDS }) } : {}),
      }),
    describeFailure: (cause) => ({
      cause: summarizeError(cause),
      redis_status: client.status,
      ...(connectionError === undefined ? {} : { connection_error: summarizeError(connectionError) }),
    }),
    async close() {
      if (client.status === 'ready') {
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
    },
  };
}
