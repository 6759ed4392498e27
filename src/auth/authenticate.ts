import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AuthError } from './identity/errors.js';
import { tokenFromRequest } from './bearer-token.js';
import type { Principal } from './identity/principal.js';

/** The verifiers this stage uses, typed structurally so each stays in its own module. */
export interface AuthMethods {
  apiKeys?: { verify(token: string): Promise<Principal | undefined> } | undefined;
  jwt?: { verify(token: string): Promise<Principal> } | undefined;
  /** Client-certificate CN → role, when mTLS is configured. */
  clientPrincipals?: Readonly<Record<string, { role: string }>> | undefined;
  /** Roles that exist: a credential naming any other role is refused. */
  roles: ReadonlySet<string>;
}

export type Authenticate = (req: IncomingMessage) => Promise<Principal>;

/**
 * The authenticate stage: a Bearer token (an `ak_` API key or a JWT) or, without
 * one, a verified client certificate. A token in the URL is refused outright. The
 * token itself is never stored on the principal, so it cannot travel further.
 */
export function createAuthenticator(methods: AuthMethods): Authenticate {
  return async (req) => {
    const presented = tokenFromRequest(authorizationHeaders(req), req.url ?? '/');
    let principal: Principal;
    if (presented.kind === 'bearer' && presented.token !== undefined) {
      principal = await verifyToken(methods, presented.token);
    } else {
      const fromCertificate = certificatePrincipal(req, methods.clientPrincipals);
      if (fromCertificate === undefined) throw new AuthError('AUTH_MISSING', 'no credentials');
      principal = fromCertificate;
    }
    if (!methods.roles.has(principal.role)) throw new AuthError('AUTH_UNKNOWN_ROLE', `role ${principal.role} is not configured`);
    return principal;
  };
}

/**
 * Every Authorization header of the request, repeated ones included (node keeps
 * only the first in `req.headers`), read from the raw header list without building
 * the whole `headersDistinct` object on each request.
 */
function authorizationHeaders(req: IncomingMessage): { authorization?: string[] } {
  const raw = req.rawHeaders;
  let values: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization') (values ??= []).push(raw[i + 1] ?? '');
  }
  return values === undefined ? {} : { authorization: values };
}

async function verifyToken(methods: AuthMethods, token: string): Promise<Principal> {
  if (token.startsWith('ak_')) {
    const principal = methods.apiKeys === undefined ? undefined : await methods.apiKeys.verify(token);
    if (principal === undefined) throw new AuthError('AUTH_INVALID', 'unknown, expired or revoked API key');
    return principal;
  }
  if (methods.jwt === undefined) throw new AuthError('AUTH_INVALID', 'bearer token is not an API key and no JWT issuer is configured');
  return methods.jwt.verify(token);
}

/** The principal of a verified client certificate; undefined when there is none. */
function certificatePrincipal(req: IncomingMessage, clientPrincipals: AuthMethods['clientPrincipals']): Principal | undefined {
  if (clientPrincipals === undefined) return undefined;
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const subject = socket.getPeerCertificate().subject as { CN?: string | string[] } | undefined;
  const cn = Array.isArray(subject?.CN) ? undefined : subject?.CN;
  if (cn === undefined) throw new AuthError('AUTH_INVALID', 'client certificate without a single CN');
  const mapped = clientPrincipals[cn];
  if (mapped === undefined) throw new AuthError('AUTH_UNKNOWN_ROLE', `client certificate CN ${cn} is not mapped to a role`);
  return { id: `mtls:${cn}`, kind: 'mtls', role: mapped.role, scopes: [] };
}
