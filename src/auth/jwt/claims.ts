import type { JWTPayload } from 'jose';
import type { JwtIssuerConfig } from '../../config/schema.js';
import { AuthError } from '../identity/errors.js';
import type { Principal } from '../identity/principal.js';

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** The same shape bastion.yaml accepts for role names. */
const ROLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** `sub` becomes part of the principal id, which reaches logs and the audit trail. */
const MAX_SUBJECT_CHARS = 256;
const CONTROL_CHARS = /\p{Cc}/u;

export interface ClaimCheckOptions {
  /** Current time, seconds since the epoch. */
  nowS: number;
  clockToleranceS: number;
  /** When given, a role outside this set is refused. */
  knownRoles?: ReadonlySet<string> | undefined;
}

/**
 * Turns a payload whose signature, iss, aud, exp and nbf jose has already checked
 * into a principal: enforces the issuer's lifetime limit, then maps sub, role and
 * scopes. Anything malformed is refused rather than guessed at.
 */
export function principalFromClaims(payload: JWTPayload, issuer: JwtIssuerConfig, options: ClaimCheckOptions): Principal {
  checkLifetime(payload, issuer.max_lifetime_s, options);
  const subject = subjectOf(payload);
  const role = roleOf(payload, issuer, options.knownRoles);
  const scopes = scopesOf(payload, issuer.scope_claim);
  return Object.freeze({ id: `jwt:${issuer.issuer}#${subject}`, kind: 'jwt', role, scopes: Object.freeze(scopes) });
}

/**
 * A token may live at most max_lifetime_s: measured from iat when the token has
 * one, and always from now, so a token without iat cannot claim a longer life.
 */
export function checkLifetime(payload: JWTPayload, maxLifetimeS: number, options: ClaimCheckOptions): void {
  const { exp, iat } = payload;
  if (typeof exp !== 'number') throw new AuthError('AUTH_INVALID', 'exp claim missing');
  if (iat !== undefined) {
    if (iat > options.nowS + options.clockToleranceS) throw new AuthError('AUTH_INVALID', 'iat claim is in the future');
    if (exp - iat > maxLifetimeS) throw new AuthError('AUTH_INVALID', `lifetime exp - iat exceeds max_lifetime_s ${maxLifetimeS}`);
  }
  if (exp - options.nowS > maxLifetimeS + options.clockToleranceS) {
    throw new AuthError('AUTH_INVALID', `exp is more than max_lifetime_s ${maxLifetimeS} ahead`);
  }
}

function subjectOf(payload: JWTPayload): string {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0) throw new AuthError('AUTH_INVALID', 'sub claim missing');
  if (sub.length > MAX_SUBJECT_CHARS || CONTROL_CHARS.test(sub)) throw new AuthError('AUTH_INVALID', 'sub claim malformed');
  return sub;
}

function roleOf(payload: JWTPayload, issuer: JwtIssuerConfig, knownRoles: ReadonlySet<string> | undefined): string {
  // Object.hasOwn: a role_claim such as "constructor" must not read the prototype.
  const claimed = Object.hasOwn(payload, issuer.role_claim) ? payload[issuer.role_claim] : undefined;
  if (claimed === undefined) {
    if (issuer.default_role === undefined) throw new AuthError('AUTH_UNKNOWN_ROLE', `no ${issuer.role_claim} claim and no default_role`);
    return issuer.default_role;
  }
  if (typeof claimed !== 'string') throw new AuthError('AUTH_INVALID', `${issuer.role_claim} claim is not a string`);
  if (!ROLE_NAME.test(claimed) || (knownRoles !== undefined && !knownRoles.has(claimed))) {
    throw new AuthError('AUTH_UNKNOWN_ROLE', `${issuer.role_claim} claim names no configured role`);
  }
  return claimed;
}

function scopesOf(payload: JWTPayload, scopeClaim: string): string[] {
  const claimed = Object.hasOwn(payload, scopeClaim) ? payload[scopeClaim] : undefined;
  if (claimed === undefined) return [];
  let scopes: string[];
  if (typeof claimed === 'string') {
    scopes = claimed.split(' ').filter((s) => s.length > 0);
  } else if (Array.isArray(claimed) && claimed.every((s): s is string => typeof s === 'string')) {
    scopes = claimed;
  } else {
    throw new AuthError('AUTH_INVALID', `${scopeClaim} claim is neither a string nor an array of strings`);
  }
  if (!scopes.every((s) => SCOPE_TOKEN.test(s))) throw new AuthError('AUTH_INVALID', `${scopeClaim} claim holds a malformed scope`);
  return [...new Set(scopes)];
}
