import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { JwtIssuerConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { AuthError } from '../identity/errors.js';
import type { Principal } from '../identity/principal.js';
import { principalFromClaims } from './claims.js';
import { toAuthError } from './jose-errors.js';
import { issuerKeys, type IssuerKeys } from './keys.js';

export interface JwtVerifierOptions {
  /** Clock skew accepted on exp, nbf, iat and the lifetime limit, in seconds. Default 30. */
  clockToleranceS?: number;
  /** See JwksOptions; defaults 30 s cooldown, 10 min cache, 5 s timeout. */
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
  /** Role names a token may carry (built-in plus bastion.yaml roles); others are AUTH_UNKNOWN_ROLE. */
  knownRoles?: ReadonlySet<string>;
}

/** Longer than any real access token; stops a megabyte of base64 before it is decoded. */
const MAX_TOKEN_CHARS = 16 * 1024;
const REQUIRED_CLAIMS = ['exp', 'iss', 'aud'];

interface Issuer {
  readonly config: JwtIssuerConfig;
  readonly keys: IssuerKeys;
}

/**
 * Verifies OAuth 2.1 / JWT access tokens against the configured issuers. The
 * unverified `iss` only chooses which issuer's key and rules apply; everything
 * the principal is built from has passed that issuer's signature check first.
 */
export class JwtVerifier {
  private constructor(
    private readonly issuers: ReadonlyMap<string, Issuer>,
    private readonly clockToleranceS: number,
    private readonly knownRoles: ReadonlySet<string> | undefined,
  ) {}

  /** Throws CONFIG_INVALID for a configuration it cannot enforce (duplicate issuer, private key, http JWKS URL). */
  static create(issuers: readonly JwtIssuerConfig[], log: Logger, options: JwtVerifierOptions = {}): JwtVerifier {
    const jwks = {
      cooldownMs: options.jwksCooldownMs ?? 30_000,
      cacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? 600_000,
      timeoutMs: options.jwksTimeoutMs ?? 5_000,
    };
    const byIssuer = new Map<string, Issuer>();
    issuers.forEach((config, index) => {
      const where = `auth.jwt.issuers[${index}]`;
      if (byIssuer.has(config.issuer)) {
        throw new BastionError('CONFIG_INVALID', `${where}.issuer: ${JSON.stringify(config.issuer)} is configured twice.`);
      }
      byIssuer.set(config.issuer, { config, keys: issuerKeys(config, where, jwks, log) });
    });
    return new JwtVerifier(byIssuer, options.clockToleranceS ?? 30, options.knownRoles);
  }

  /** Settles once every configured key is usable; await it at start-up so a broken PEM stops the start. */
  async ready(): Promise<void> {
    await Promise.all([...this.issuers.values()].map((issuer) => issuer.keys.ready));
  }

  /** The principal a valid token stands for; an AuthError for anything else. Never logs the token. */
  async verify(token: string): Promise<Principal> {
    if (token.length === 0) throw new AuthError('AUTH_MISSING', 'no token');
    if (token.length > MAX_TOKEN_CHARS) throw new AuthError('AUTH_INVALID', 'token too long');
    const issuer = this.issuerOf(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys.getKey, {
        algorithms: issuer.config.algorithms,
        issuer: issuer.config.issuer,
        audience: issuer.config.audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: this.clockToleranceS,
      }));
    } catch (error) {
      throw toAuthError(error);
    }
    const nowS = Math.floor(Date.now() / 1000);
    return principalFromClaims(payload, issuer.config, { nowS, clockToleranceS: this.clockToleranceS, knownRoles: this.knownRoles });
  }

  private issuerOf(token: string): Issuer {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch (error) {
      throw toAuthError(error);
    }
    const issuer = typeof iss === 'string' ? this.issuers.get(iss) : undefined;
    if (issuer === undefined) {
      // The unverified iss is not a secret and is what an operator needs to spot a trailing-slash mismatch.
      const shown = typeof iss === 'string' ? JSON.stringify(iss.slice(0, 120)) : typeof iss;
      throw new AuthError('AUTH_INVALID', `token iss ${shown} names no configured issuer`);
    }
    return issuer;
  }
}
