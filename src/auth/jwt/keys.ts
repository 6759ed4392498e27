import { createRemoteJWKSet, customFetch, errors, importSPKI, type CryptoKey, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import type { JwtIssuerConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { AuthError } from '../identity/errors.js';

/** After a failed fetch, further fetches fail at once for this long: no request per token while the IdP is down. */
const MAX_FAILURE_BACKOFF_MS = 5_000;

export interface JwksOptions {
  /** After a successful fetch, an unknown `kid` triggers another fetch only after this long. */
  cooldownMs: number;
  /** Keys are refetched once they are this old. */
  cacheMaxAgeMs: number;
  timeoutMs: number;
}

/** How one issuer's verification key is found: only its own key material, only for its pinned algorithms. */
export interface IssuerKeys {
  readonly getKey: JWTVerifyGetKey;
  /** Settles once the configured key material is usable; rejects with CONFIG_INVALID naming the key. */
  readonly ready: Promise<void>;
}

/**
 * Builds the key lookup for one configured issuer. `where` is the config path
 * (`auth.jwt.issuers[0]`) used in start-up errors.
 */
export function issuerKeys(issuer: JwtIssuerConfig, where: string, jwks: JwksOptions, log: Logger): IssuerKeys {
  if (issuer.secret !== undefined) return secretKey(issuer, issuer.secret);
  if (issuer.public_key !== undefined) return pemKeys(issuer, issuer.public_key, where);
  if (issuer.jwks_url !== undefined) return remoteKeys(issuer, issuer.jwks_url, where, jwks, log);
  throw new BastionError('CONFIG_INVALID', `${where}: set exactly one of secret, public_key or jwks_url.`);
}

function secretKey(issuer: JwtIssuerConfig, secret: string): IssuerKeys {
  const bytes = new TextEncoder().encode(secret);
  const pinned = new Set<string>(issuer.algorithms);
  return {
    ready: Promise.resolve(),
    // jose already refuses an unpinned alg; checked again so the secret can never key anything else.
    getKey: async (header) => {
      if (!pinned.has(header.alg) || !header.alg.startsWith('HS')) throw new errors.JOSEAlgNotAllowed('alg not pinned for this issuer');
      return bytes;
    },
  };
}

function pemKeys(issuer: JwtIssuerConfig, pem: string, where: string): IssuerKeys {
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new BastionError('CONFIG_INVALID', `${where}.public_key: this is a private key; configure the issuer's public key (SPKI PEM).`);
  }
  const keys = new Map<string, Promise<CryptoKey>>();
  for (const alg of issuer.algorithms) {
    const imported = importSPKI(pem, alg);
    // Handled here so a broken key is reported by ready()/verify, never as an unhandled rejection.
    imported.catch(() => undefined);
    keys.set(alg, imported);
  }
  const ready = Promise.all(
    [...keys].map(([alg, key]) =>
      key.catch(() => {
        throw new BastionError('CONFIG_INVALID', `${where}.public_key: not a PEM public key (SPKI) usable with ${alg}.`);
      }),
    ),
  ).then(() => undefined);
  ready.catch(() => undefined);
  return {
    ready,
    getKey: async (header) => {
      const key = keys.get(header.alg);
      if (key === undefined) throw new errors.JOSEAlgNotAllowed('alg not pinned for this issuer');
      return key;
    },
  };
}

function remoteKeys(issuer: JwtIssuerConfig, jwksUrl: string, where: string, options: JwksOptions, log: Logger): IssuerKeys {
  const url = checkJwksUrl(jwksUrl, where);
  const fetchWithBackoff = backoffFetch(Math.min(options.cooldownMs, MAX_FAILURE_BACKOFF_MS));
  // jose fetches exactly this URL (redirects are not followed) and never a URL named in a token (jku, x5u).
  const jwks = createRemoteJWKSet(url, {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    timeoutDuration: options.timeoutMs,
    [customFetch]: fetchWithBackoff,
  });
  return {
    ready: Promise.resolve(),
    getKey: async (header, token) => {
      try {
        return await jwks(header, token);
      } catch (error) {
        // An unknown kid is the caller's problem; anything else means the key set could not be loaded.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        if (!(error instanceof BackingOff)) log.warn({ issuer: issuer.issuer, jwks_url: url.href, err: error }, 'cannot load the JWKS of a JWT issuer');
        const reason = error instanceof errors.JOSEError ? error.code : error instanceof Error ? error.message : 'fetch failed';
        throw new AuthError('AUTH_INVALID', `jwks unavailable: ${reason}`);
      }
    },
  };
}

class BackingOff extends Error {
  constructor() {
    super('backing off after a failed JWKS fetch');
  }
}

/** jose's fetch, except that it fails fast for `backoffMs` after a failure; cached keys keep working meanwhile. */
function backoffFetch(backoffMs: number): FetchImplementation {
  let failedUntil = 0;
  return async (href, init) => {
    if (Date.now() < failedUntil) throw new BackingOff();
    try {
      const response = await fetch(href, init);
      if (response.status !== 200) failedUntil = Date.now() + backoffMs;
      return response;
    } catch (error) {
      failedUntil = Date.now() + backoffMs;
      throw error;
    }
  };
}

/** A key set fetched over plain HTTP could be swapped in transit, so only loopback may use http. */
function checkJwksUrl(value: string, where: string): URL {
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackAddress(url.hostname))) {
    throw new BastionError('CONFIG_INVALID', `${where}.jwks_url: use an https:// URL (plain http is accepted only for loopback addresses).`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new BastionError('CONFIG_INVALID', `${where}.jwks_url: must not contain credentials.`);
  }
  return url;
}
