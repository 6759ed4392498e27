import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { Metrics } from './metrics.js';

/**
 * The Host/Origin check of the HTTP guard, as much of it as this listener uses; the
 * caller passes the guard in, so metrics never import the transport that reports to them.
 */
export interface HostAndOriginCheck {
  checkHostAndOrigin(req: IncomingMessage): { status: number } | undefined;
}

export interface MetricsListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** `host:port` or `[v6]:port`, as metrics.listen takes it; undefined when malformed. */
export function parseListen(listen: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65_535) return undefined;
  return { host, port };
}

/**
 * A listener of its own that serves only GET /metrics, unauthenticated: the caller
 * refuses a non-loopback address, so only this host can scrape it. Host and Origin
 * still go through the HTTP guard, so a web page cannot read it by DNS rebinding.
 */
export async function listenForMetrics(
  metrics: Metrics,
  where: { host: string; port: number },
  guard: HostAndOriginCheck,
  log: Logger,
): Promise<MetricsListener> {
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    req.resume();
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    const rejection = guard.checkHostAndOrigin(req);
    const path = (req.url ?? '/').split('?')[0];
    if (rejection !== undefined || path !== '/metrics' || req.method !== 'GET') {
      const status = rejection?.status ?? (path === '/metrics' ? 405 : 404);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status === 403 ? 'forbidden' : status === 405 ? 'method not allowed' : 'not found'}\n`);
      return;
    }
    metrics.render().then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics: rendering failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
