import type { IncomingMessage } from 'node:http';
import type { HttpConfig } from '../../config/schema.js';
import { isLoopbackAddress } from '../../util/loopback.js';

/**
 * The HTTP guard stage: Host and Origin allow-lists (DNS rebinding, CSRF from a
 * browser), body size and JSON depth limits. Options are compiled once; each
 * check is a plain function of the request.
 */
const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export interface GuardRejection {
  status: number;
  message: string;
}

export interface HttpGuard {
  checkHostAndOrigin(req: IncomingMessage): GuardRejection | undefined;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

export function createHttpGuard(config: HttpConfig): HttpGuard {
  const allowedHosts = new Set(config.allowed_hosts.map((h) => h.toLowerCase()));
  const allowedOrigins = new Set(config.allowed_origins.map((o) => new URL(o).origin));
  return {
    maxBodyBytes: config.max_body_bytes,
    maxJsonDepth: config.max_json_depth,
    checkHostAndOrigin(req) {
      const host = (req.headers.host ?? '').toLowerCase();
      if (!hostAllowed(host, allowedHosts)) return { status: 403, message: 'Forbidden: Host not allowed' };
      const origin = req.headers.origin;
      if (origin !== undefined && !originAllowed(origin, allowedOrigins)) {
        return { status: 403, message: 'Forbidden: Origin not allowed' };
      }
      return undefined;
    },
  };
}

/** The host part of a Host header; undefined when the header is malformed. */
function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host);
  return match?.[1];
}

function hostAllowed(host: string, allowed: ReadonlySet<string>): boolean {
  const hostname = hostnameOf(host);
  if (hostname === undefined) return false;
  // Any loopback IP literal is safe: DNS rebinding needs a name, and a name must be listed.
  return LOOPBACK_HOSTNAMES.has(hostname) || isLoopbackAddress(hostname) || allowed.has(host) || allowed.has(hostname);
}

function originAllowed(origin: string, allowed: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return LOOPBACK_HOSTNAMES.has(url.hostname) || isLoopbackAddress(url.hostname) || allowed.has(url.origin);
}

/**
 * Nesting depth of a JSON text, measured before parsing so a deeply nested body
 * is refused without building it. Brackets inside strings do not count.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
