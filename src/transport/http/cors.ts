import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_HEADERS = 'authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id';
const EXPOSE_HEADERS = 'mcp-session-id, www-authenticate';

/** Sets the CORS headers of one request; true when it was a preflight, which it has answered. */
export type CorsStage = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * CORS for the configured origins only, compiled once: the request's own origin is
 * echoed (never `*`), so a browser page elsewhere cannot read answers even with a
 * stolen token. A preflight gets 204 for a configured origin and 403 otherwise.
 */
export function createCors(allowedOrigins: readonly string[]): CorsStage {
  const allowed = new Set(allowedOrigins.map((o) => new URL(o).origin));
  return (req, res) => {
    const origin = configuredOrigin(req.headers.origin, allowed);
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      appendVary(res, 'Origin');
      res.setHeader('access-control-allow-methods', 'POST, DELETE, OPTIONS');
      res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      res.setHeader('access-control-max-age', '600');
    }
    if (req.method !== 'OPTIONS') return false;
    req.resume();
    res.writeHead(origin === undefined ? 403 : 204).end();
    return true;
  };
}

/** The request's origin, normalized, when it is a configured one. */
function configuredOrigin(origin: string | undefined, allowed: ReadonlySet<string>): string | undefined {
  if (origin === undefined) return undefined;
  let normalized: string;
  try {
    normalized = new URL(origin).origin;
  } catch {
    return undefined;
  }
  return allowed.has(normalized) ? normalized : undefined;
}

/** The answer depends on Origin: caches must key on it, whatever else they already key on. */
function appendVary(res: ServerResponse, field: string): void {
  const vary = res.getHeader('vary');
  res.setHeader('vary', vary === undefined ? field : `${String(vary)}, ${field}`);
}
