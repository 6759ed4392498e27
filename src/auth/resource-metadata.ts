import type { AuthConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';

export { tokenFromRequest, type PresentedToken, type RequestHeaders } from './bearer-token.js';

/**
 * The HTTP face of the OAuth resource server: the RFC 9728 protected-resource
 * metadata document and the RFC 6750 WWW-Authenticate challenges that point to it.
 * Pure functions; the HTTP server routes and sends what they build.
 */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  bearer_methods_supported: ['header'];
  scopes_supported?: string[];
}

export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface BearerChallenge {
  /** URL of the metadata document (see resourceMetadataUrl). */
  resourceMetadata: string;
  /** Absent when the request carried no credentials (RFC 6750 §3.1). */
  error?: BearerErrorCode;
  /** Space-separated scopes the request needs. */
  scope?: string;
}

/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The canonical URI of this MCP server (RFC 8707 / RFC 9728 `resource`):
 * `auth.resource`, else `fallback` (the URL the server serves /mcp at). Lower-case
 * scheme and host, no trailing slash; a query or fragment is a configuration error.
 */
export function canonicalResource(auth: AuthConfig, fallback: string): string {
  const where = auth.resource !== undefined ? 'auth.resource' : 'the server URL';
  const url = new URL(auth.resource ?? fallback);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new BastionError('CONFIG_INVALID', `${where}: the resource URI must not have a query, fragment or credentials.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BastionError('CONFIG_INVALID', `${where}: the resource URI must be an http(s) URL.`);
  }
  return url.href.replace(/\/$/, '');
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}${PROTECTED_RESOURCE_PATH}${path}`;
}

/**
 * The document served at PROTECTED_RESOURCE_PATH (and PROTECTED_RESOURCE_PATH + the
 * resource path). `authorization_servers` is omitted when none is configured, as
 * with tokens from `bastion token issue`; MCP clients then have nothing to discover.
 */
export function protectedResourceMetadata(auth: AuthConfig, resource: string, scopesSupported: readonly string[] = []): ProtectedResourceMetadata {
  const metadata: ProtectedResourceMetadata = { resource, bearer_methods_supported: ['header'] };
  if (auth.authorization_servers.length > 0) metadata.authorization_servers = [...auth.authorization_servers];
  if (scopesSupported.length > 0) metadata.scopes_supported = [...new Set(scopesSupported)];
  return metadata;
}

/** `Bearer [error="…", ][scope="…", ]resource_metadata="…"`. */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.error !== undefined) params.push(`error="${challenge.error}"`);
  if (challenge.scope !== undefined) {
    const scopes = challenge.scope.split(' ');
    if (!scopes.every((s) => SCOPE_TOKEN.test(s))) throw new TypeError('scope must be space-separated RFC 6749 scope tokens');
    params.push(`scope="${challenge.scope}"`);
  }
  params.push(`resource_metadata=${quoted(challenge.resourceMetadata)}`);
  return `Bearer ${params.join(', ')}`;
}

/** An RFC 9110 quoted-string; a control character (header injection) is a caller bug. */
function quoted(value: string): string {
  if (/\p{Cc}/u.test(value)) throw new TypeError('a WWW-Authenticate parameter must not contain control characters');
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
