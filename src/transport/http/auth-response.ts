import type { ServerResponse } from 'node:http';
import type { AuthError } from '../../auth/identity/errors.js';
import { bearerChallenge, type ProtectedResourceMetadata } from '../../auth/resource-metadata.js';
import { sendJson } from './send-json.js';

export interface AuthChallenge {
  /** Paths that serve the RFC 9728 document. */
  metadataPaths: string[];
  metadata: ProtectedResourceMetadata;
  /** URL of the metadata document, for WWW-Authenticate. */
  metadataUrl: string;
}

export interface AuthAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * How the HTTP layer answers a failed authentication (MCP authorization spec,
 * RFC 6750): 401 with a Bearer challenge pointing at the resource metadata, 403
 * insufficient_scope naming the scope, 400 for a token in the URL. The body says
 * nothing about which check failed.
 */
export function authFailureResponse(error: AuthError, challenge: AuthChallenge | undefined): AuthAnswer {
  const www = (params: { error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope'; scope?: string }): Record<string, string> =>
    challenge === undefined
      ? { 'www-authenticate': `Bearer${params.error ? ` error="${params.error}"` : ''}` }
      : { 'www-authenticate': bearerChallenge({ resourceMetadata: challenge.metadataUrl, ...params }) };
  switch (error.code) {
    case 'AUTH_MISSING':
      return { status: 401, headers: www({}), body: { error: 'unauthorized' } };
    case 'AUTH_TOKEN_IN_URL':
      return { status: 400, headers: www({ error: 'invalid_request' }), body: { error: 'credentials are not accepted in the URL; use the Authorization header' } };
    case 'AUTH_INSUFFICIENT_SCOPE':
      return {
        status: 403,
        headers: www({ error: 'insufficient_scope', ...(error.scope !== undefined ? { scope: error.scope } : {}) }),
        body: { error: 'insufficient_scope', scope: error.scope },
      };
    case 'AUTH_UNKNOWN_ROLE':
      return { status: 403, headers: {}, body: { error: 'forbidden' } };
    default:
      return { status: 401, headers: www({ error: 'invalid_token' }), body: { error: 'unauthorized' } };
  }
}

/** Ends `res` with the answer to a failed authentication (or a missing scope). */
export function sendAuthFailure(res: ServerResponse, error: AuthError, challenge: AuthChallenge | undefined): void {
  const answer = authFailureResponse(error, challenge);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  sendJson(res, answer.status, answer.body);
}
