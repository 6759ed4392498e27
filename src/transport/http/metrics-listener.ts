import type { HttpConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { ServerContext } from '../../session/context.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { createHttpGuard } from './guard.js';
import { listenFailure } from './listen-failure.js';

/** The loopback-only listener of metrics.listen; a non-loopback address stops the start. Also used over stdio. */
export async function startMetricsListener(ctx: ServerContext, http: HttpConfig, listen: string): Promise<() => Promise<void>> {
  const { listenForMetrics, parseListen } = await import('../../metrics/listener.js');
  const where = parseListen(listen);
  if (where === undefined || !isLoopbackAddress(where.host)) {
    throw new BastionError(
      'CONFIG_INVALID',
      `metrics.listen: ${JSON.stringify(listen)} is refused: the metrics listener has no authentication, so it binds to loopback only (e.g. 127.0.0.1:9464). To scrape from elsewhere, remove metrics.listen and scrape /metrics on the main listener with an admin API key.`,
    );
  }
  const listener = await listenForMetrics(ctx.metrics, where, createHttpGuard(http), ctx.log).catch((error: unknown) => {
    throw listenFailure(error, where.host, where.port, { port: 'metrics.listen', host: 'metrics.listen' });
  });
  const host = listener.address.family === 'IPv6' ? `[${listener.address.address}]` : listener.address.address;
  ctx.log.info({ url: `http://${host}:${listener.address.port}/metrics` }, 'bastion serving metrics');
  return () => listener.close();
}
