import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { JwtIssuerConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';

export interface TokenRequest {
  subject: string;
  role: string;
  scopes: readonly string[];
  /** Lifetime in seconds; at most the issuer's max_lifetime_s. */
  ttlS: number;
}

/** Claims jose sets itself; a role or scope claim of the same name would be overwritten or would overwrite. */
const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti']);

/**
 * Signs an access token with a shared-secret issuer, for teams without an identity
 * provider. The token carries exactly what the verifier requires and checks: iss,
 * the first configured aud, sub, the role and scope claims, iat, exp and a jti.
 */
export async function issueToken(issuer: JwtIssuerConfig, request: TokenRequest): Promise<string> {
  if (issuer.secret === undefined) throw new TypeError('issueToken needs an issuer with a secret');
  const alg = issuer.algorithms.includes('HS256') ? 'HS256' : issuer.algorithms[0];
  if (alg === undefined || !alg.startsWith('HS')) throw new TypeError('issueToken needs an issuer pinned to an HS algorithm');
  for (const claim of [issuer.role_claim, issuer.scope_claim]) {
    if (REGISTERED_CLAIMS.has(claim)) {
      throw new BastionError('CONFIG_INVALID', `auth.jwt.issuers: role_claim and scope_claim cannot be the registered claim "${claim}".`);
    }
  }
  if (!Number.isInteger(request.ttlS) || request.ttlS <= 0 || request.ttlS > issuer.max_lifetime_s) {
    throw new BastionError('INVALID_ARGUMENT', `--ttl: at most ${issuer.max_lifetime_s} seconds for issuer ${issuer.issuer} (max_lifetime_s).`);
  }
  const audience = Array.isArray(issuer.audience) ? issuer.audience[0] : issuer.audience;
  if (audience === undefined) throw new TypeError('the issuer has no audience');
  const claims: Record<string, unknown> = { [issuer.role_claim]: request.role };
  if (request.scopes.length > 0) claims[issuer.scope_claim] = request.scopes.join(' ');
  const nowS = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(issuer.issuer)
    .setAudience(audience)
    .setSubject(request.subject)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + request.ttlS)
    .setJti(randomUUID())
    .sign(new TextEncoder().encode(issuer.secret));
}
