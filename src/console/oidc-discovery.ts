import { BastionError } from '../errors/codes.js';
import { isLoopbackAddress } from '../util/loopback.js';

/**
 * OpenID Connect discovery (OpenID Connect Discovery 1.0 §4): what the relying party
 * needs from an issuer's metadata, checked before any of it is used.
 */
export interface IssuerMetadata {
  readonly issuer: string;
  readonly authorizationEndpoint: URL;
  readonly tokenEndpoint: URL;
  readonly jwksUri: URL;
  /** Signature algorithms accepted on ID tokens: the issuer's, asymmetric ones only. */
  readonly algorithms: readonly string[];
  /** The issuer adds `iss` to its authorization responses (RFC 9207), so a response without it is refused. */
  readonly issParameter: boolean;
}

/** Public-key algorithms only: HS* would need the client secret as a key, `none` is no signature. */
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
/** Larger than any real metadata document or token response. */
export const MAX_RESPONSE_CHARS = 256 * 1024;
export const FETCH_TIMEOUT_MS = 5_000;

/** Every refusal of a sign-in: the client sees the generic message, the log the reason (never a token, code or secret). */
export function signInRefused(reason: string): BastionError {
  return new BastionError('SIGN_IN_FAILED', undefined, { reason });
}

/**
 * An endpoint the browser or Bastion talks to: https, or plain http on a loopback
 * address only (anything else could be read or changed in transit); no credentials.
 */
export function checkEndpoint(value: unknown, what: string): URL {
  if (typeof value !== 'string') throw new Error(`${what} missing`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackAddress(url.hostname))) {
    throw new Error(`${what} is not https (plain http is accepted only on loopback)`);
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') throw new Error(`${what} has credentials or a fragment`);
  return url;
}

/** Reads a JSON object answer of at most MAX_RESPONSE_CHARS. */
export async function readJsonObject(response: Response, what: string): Promise<Record<string, unknown>> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_CHARS) throw new Error(`${what} too large`);
  const text = await response.text();
  if (text.length > MAX_RESPONSE_CHARS) throw new Error(`${what} too large`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Fetches and checks `${issuer}/.well-known/openid-configuration`; throws SIGN_IN_FAILED. */
export async function discover(issuer: string, fetchImpl: typeof fetch): Promise<IssuerMetadata> {
  try {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (response.status !== 200) throw new Error(`answered HTTP ${response.status}`);
    const doc = await readJsonObject(response, 'document');
    // §4.3: the issuer in the document must be exactly the one configured, or tokens from another issuer could pass.
    if (doc.issuer !== issuer) throw new Error('issuer in the document differs from auth.oidc.issuer');
    const listed = (name: string): unknown[] | undefined => {
      const value = doc[name];
      if (value === undefined) return undefined;
      if (!Array.isArray(value)) throw new Error(`${name} is not a list`);
      return value as unknown[];
    };
    if (!(listed('response_types_supported') ?? ['code']).includes('code')) throw new Error('code flow not supported');
    // Without the field an issuer may still support PKCE; with it, S256 must be listed.
    if (!(listed('code_challenge_methods_supported') ?? ['S256']).includes('S256')) throw new Error('PKCE S256 not supported');
    const algorithms = (listed('id_token_signing_alg_values_supported') ?? ['RS256']).filter(
      (alg): alg is string => typeof alg === 'string' && ASYMMETRIC.has(alg),
    );
    if (algorithms.length === 0) throw new Error('no public-key ID token signing algorithm');
    return {
      issuer,
      authorizationEndpoint: checkEndpoint(doc.authorization_endpoint, 'authorization_endpoint'),
      tokenEndpoint: checkEndpoint(doc.token_endpoint, 'token_endpoint'),
      jwksUri: checkEndpoint(doc.jwks_uri, 'jwks_uri'),
      algorithms,
      issParameter: doc.authorization_response_iss_parameter_supported === true,
    };
  } catch (error) {
    throw signInRefused(`discovery: ${error instanceof Error && error.name === 'Error' ? error.message : error instanceof Error ? error.name : 'failed'}`);
  }
}

/** Checks auth.oidc.issuer and the redirect URI once, when the client is created; throws CONFIG_INVALID. */
export function checkConfiguredUrl(value: string, where: string): URL {
  try {
    const url = checkEndpoint(value, where);
    if (where.endsWith('issuer') && url.search !== '') throw new Error(`${where} has a query`);
    return url;
  } catch (error) {
    throw new BastionError('CONFIG_INVALID', `${(error as Error).message}.`);
  }
}
