import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/identity/principal.js';
import type { AuthChallenge } from './auth-response.js';
import type { AuthStage } from './auth-stage.js';
import { sendJson } from './send-json.js';

/** What answers the requests to one path. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** GET /metrics on the main listener, behind authentication, for the principals `allowed` accepts. */
export interface MetricsEndpoint {
  allowed(principal: Principal): boolean;
  render(): Promise<{ contentType: string; text: string }>;
}

export interface RouteTableOptions {
  /** /mcp, the Streamable HTTP endpoint. */
  mcp: Route;
  /** Authenticates /metrics like /mcp. */
  authenticate: AuthStage;
  /** GET /readyz: true when every source answers its probe. The answer names nothing. */
  ready?: (() => Promise<boolean>) | undefined;
  metrics?: MetricsEndpoint | undefined;
  /** The RFC 9728 document and its paths, known once the server listens. */
  challenge: () => AuthChallenge | undefined;
  /** /console and every path under it (src/console/), when the console is enabled. */
  console?: Route | undefined;
}

/**
 * The route table, built once: each path is matched exactly (a query string aside).
 * /healthz and /mcp always; /readyz, /metrics and /console (with the paths under it) when
 * configured; the protected-resource metadata once the URL is known. Any other path is 404.
 */
export function createRoutes(options: RouteTableOptions): Route {
  const table = new Map<string, Route>([
    ['/healthz', health],
    ['/mcp', options.mcp],
  ]);
  if (options.ready !== undefined) table.set('/readyz', readiness(options.ready));
  if (options.metrics !== undefined) table.set('/metrics', metrics(options.authenticate, options.metrics));
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = table.get(path) ?? consoleRoute(path, options.console) ?? resourceMetadata(path, options.challenge());
    if (route === undefined) {
      req.resume();
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    await route(req, res);
  };
}

function consoleRoute(path: string, route: Route | undefined): Route | undefined {
  return route !== undefined && (path === '/console' || path.startsWith('/console/')) ? route : undefined;
}

async function health(req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendJson(res, req.method === 'GET' ? 200 : 405, req.method === 'GET' ? { status: 'ok' } : { error: 'method not allowed' });
}

function readiness(ready: () => Promise<boolean>): Route {
  return async (req, res) => {
    req.resume();
    if (req.method !== 'GET') sendJson(res, 405, { error: 'method not allowed' });
    else if (await ready()) sendJson(res, 200, { status: 'ready' });
    else sendJson(res, 503, { status: 'not ready' });
  };
}

/** /metrics on the main listener: authenticated like /mcp, then only for the principals `endpoint.allowed` accepts. */
function metrics(authenticate: AuthStage, endpoint: MetricsEndpoint): Route {
  return async (req, res) => {
    const principal = await authenticate(req, res);
    if (principal === undefined) return;
    req.resume();
    if (req.method !== 'GET') {
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    if (!endpoint.allowed(principal)) {
      sendJson(res, 403, { error: 'forbidden' });
      return;
    }
    const { contentType, text } = await endpoint.render();
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) }).end(text);
  };
}

/** The RFC 9728 document, when `path` is one of its paths. */
function resourceMetadata(path: string, challenge: AuthChallenge | undefined): Route | undefined {
  if (challenge === undefined || !challenge.metadataPaths.includes(path)) return undefined;
  return async (req, res) => {
    req.resume();
    sendJson(res, req.method === 'GET' ? 200 : 405, req.method === 'GET' ? challenge.metadata : { error: 'method not allowed' });
  };
}
