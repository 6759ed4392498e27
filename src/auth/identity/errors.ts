/**
 * Why authentication failed. These never travel as JSON-RPC errors: the HTTP layer
 * turns them into 401/403 with a WWW-Authenticate header, and the message stays
 * generic so it tells an attacker nothing about which check failed.
 */
export type AuthFailureCode =
  | 'AUTH_MISSING'
  | 'AUTH_INVALID'
  | 'AUTH_EXPIRED'
  | 'AUTH_REVOKED'
  | 'AUTH_TOKEN_IN_URL'
  | 'AUTH_INSUFFICIENT_SCOPE'
  | 'AUTH_UNKNOWN_ROLE';

export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: AuthFailureCode,
    /** For the server log only. */
    readonly detail: string,
    /** For 403 insufficient_scope: the scope that was missing. */
    readonly scope?: string,
  ) {
    super(code);
  }
}
