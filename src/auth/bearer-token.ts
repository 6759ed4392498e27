import { AuthError } from './identity/errors.js';

/** Query parameters that carry credentials in the wild; any of them refuses the request. */
const CREDENTIAL_PARAMS = new Set(['access_token', 'token', 'api_key', 'apikey', 'key', 'auth', 'authorization']);
/** RFC 6750 §2.1 b64token, after the scheme and one or more spaces. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface PresentedToken {
  kind: 'bearer' | 'none';
  token?: string;
}

/**
 * The access token of a request: `Authorization: Bearer <token>` and nothing else.
 * A credential in the URL is refused (AUTH_TOKEN_IN_URL) even when a header is
 * present too, because the URL has already been written to proxy and access logs.
 * Pass `req.headersDistinct`: node keeps only the first of repeated Authorization
 * headers in `req.headers`, which would hide a second one.
 */
export function tokenFromRequest(headers: RequestHeaders, url: string | URL): PresentedToken {
  refuseCredentialsInUrl(url);
  const values: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization' || value === undefined) continue;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  if (values.length === 0) return { kind: 'none' };
  if (values.length > 1) throw new AuthError('AUTH_INVALID', 'more than one Authorization header');
  const value = (values[0] ?? '').trim();
  const match = BEARER.exec(value);
  if (match?.[1] === undefined) {
    // RFC 6750 §3.1: another scheme counts as no usable credentials (401 without an error code).
    if (!/^bearer(\s|$)/i.test(value)) throw new AuthError('AUTH_MISSING', 'unsupported Authorization scheme');
    throw new AuthError('AUTH_INVALID', 'malformed Bearer token');
  }
  return { kind: 'bearer', token: match[1] };
}

function refuseCredentialsInUrl(url: string | URL): void {
  // No query string, nothing to refuse (and no URL to parse on the hot path).
  if (typeof url === 'string' && !url.includes('?')) return;
  let params: URLSearchParams;
  try {
    params = (typeof url === 'string' ? new URL(url, 'http://localhost') : url).searchParams;
  } catch {
    throw new AuthError('AUTH_INVALID', 'request URL does not parse');
  }
  for (const name of params.keys()) {
    if (CREDENTIAL_PARAMS.has(name.toLowerCase())) throw new AuthError('AUTH_TOKEN_IN_URL', `credential in query parameter ${name.toLowerCase()}`);
  }
}
