import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { HttpConfig } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import type { Route } from './routes.js';
import { sendJson } from './send-json.js';

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The node:http server, or node:https with TLS configured (TLS 1.2 at least; with a
 * client CA, a client certificate is required and must chain to it). Every response
 * carries the security headers; an error that escapes `handle` is logged and answered
 * 500 with no detail, or ends the connection when the answer had already begun.
 */
export function createNodeServer(config: HttpConfig, log: Logger, handle: Route): Server {
  const hsts = config.tls !== undefined;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (hsts) res.setHeader('strict-transport-security', 'max-age=31536000');
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'http request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
  // Node checks those timeouts every connectionsCheckingInterval (30 s by default): a connection
  // that never finishes its headers would outlive headers_timeout_ms by up to that much.
  const timeouts = {
    headersTimeout: config.headers_timeout_ms,
    requestTimeout: config.request_timeout_ms,
    connectionsCheckingInterval: Math.min(1_000, config.headers_timeout_ms),
  };
  const tls = config.tls;
  const server =
    tls === undefined
      ? createServer(timeouts, listener)
      : createHttpsServer(
          {
            ...timeouts,
            cert: readFileSync(tls.cert_file),
            key: readFileSync(tls.key_file),
            minVersion: 'TLSv1.2',
            ...(tls.client_ca_file !== undefined ? { ca: readFileSync(tls.client_ca_file), requestCert: true, rejectUnauthorized: true } : {}),
          },
          listener,
        );
  server.keepAliveTimeout = 5_000;
  return server;
}
