import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpConfig } from '../../config/schema.js';

const ALLOW_HEADERS = 'authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id';
const EXPOSE_HEADERS = 'mcp-session-id, www-authenticate';

/**
 * CORS for the configured origins only: the request's own origin is echoed (never
 * `*`), so a browser page elsewhere cannot read answers even with a stolen token.
 */
export function corsHeaders(req: IncomingMessage, config: HttpConfig): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined) return {};
  let normalized: string;
  try {
    normalized = new URL(origin).origin;
  } catch {
    return {};
  }
  if (!config.allowed_origins.some((o) => new URL(o).origin === normalized)) return {};
  return {
    'access-control-allow-origin': normalized,
    vary: 'Origin',
    'access-control-allow-methods': 'POST, DELETE, OPTIONS',
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-expose-headers': EXPOSE_HEADERS,
    'access-control-max-age': '600',
  };
}

/** Answers a preflight: 204 for a configured origin, 403 otherwise. */
export function preflight(res: ServerResponse, cors: Record<string, string>): void {
  res.writeHead(cors['access-control-allow-origin'] === undefined ? 403 : 204).end();
}
