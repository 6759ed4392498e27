import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OidcConfig } from '../config/schema.js';
import { stringsEqual } from '../util/constant-time.js';
import { TtlPromiseCache } from '../util/ttl-promise-cache.js';
import {
  checkConfiguredUrl,
  discover,
  FETCH_TIMEOUT_MS,
  readJsonObject,
  signInRefused,
  type IssuerMetadata,
} from './oidc-discovery.js';

/**
 * The console's OpenID Connect relying party: authorization code flow with PKCE
 * (S256), state and nonce. Loaded only when auth.oidc is configured (the console
 * imports it with `await import()`). Every refusal is a BastionError SIGN_IN_FAILED
 * with the generic message; the reason, for the log, never holds a token, code,
 * verifier or secret.
 */

/** What the console keeps between begin() and finish(), server-side or in a signed cookie. Plain data. */
export interface OidcPending {
  readonly state: string;
  readonly nonce: string;
  readonly code_verifier: string;
  /** Milliseconds since the epoch, when begin() made it. */
  readonly created_at: number;
}

export interface OidcSignIn {
  /** The ID token's `sub`. */
  readonly subject: string;
  /** One of auth.oidc.allowed_roles that is also a configured role. */
  readonly role: string;
  readonly issuer: string;
}

export interface OidcClient {
  begin(): Promise<{ url: string; pending: OidcPending }>;
  finish(callbackUrl: URL, pending: OidcPending): Promise<OidcSignIn>;
}

export interface OidcClientOptions {
  /** The console's callback URL, registered with the issuer. */
  readonly redirectUri: string;
  /** Role names that exist (built-in plus bastion.yaml: `knownRoles(config)`); a role outside them is refused. */
  readonly knownRoles: ReadonlySet<string>;
  /** For tests; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Accepted clock skew on the ID token, seconds. Default 30. */
  readonly clockToleranceS?: number;
}

/** A pending sign-in older than this is refused (the person starts again). */
export const PENDING_MAX_AGE_MS = 10 * 60_000;
/** Longer than any real ID token; stops a megabyte of base64 before it is decoded. */
const MAX_ID_TOKEN_CHARS = 16 * 1024;
/** Longer than any real authorization code. */
const MAX_CODE_CHARS = 4096;
/** `sub` reaches logs and the audit trail. */
const MAX_SUBJECT_CHARS = 256;
const CONTROL_CHARS = /\p{Cc}/u;
/** RFC 6749 error codes are printable ASCII; anything else is not echoed to the log. */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
/** State values already used, kept as long as their pending sign-in could be valid. */
const MAX_CONSUMED = 100_000;
const METADATA_TTL_MS = 60 * 60_000;

export function createOidcClient(config: OidcConfig, options: OidcClientOptions): OidcClient {
  checkConfiguredUrl(config.issuer, 'auth.oidc.issuer');
  const redirect = checkConfiguredUrl(options.redirectUri, 'the OIDC redirect URI');
  const fetchImpl = options.fetch ?? fetch;
  const clockToleranceS = options.clockToleranceS ?? 30;
  const audience = config.audience ?? config.client_id;
  const metadata = new TtlPromiseCache<IssuerMetadata>(METADATA_TTL_MS);
  const keySets = new Map<string, JWTVerifyGetKey>();
  const consumed = new Map<string, number>();

  const issuerMetadata = (): Promise<IssuerMetadata> => metadata.get('issuer', () => discover(config.issuer, fetchImpl));
  const keysOf = (jwksUri: URL): JWTVerifyGetKey => {
    let keys = keySets.get(jwksUri.href);
    if (keys === undefined) {
      // jose fetches exactly this URL and never one a token names (jku, x5u).
      keys = createRemoteJWKSet(jwksUri, { timeoutDuration: FETCH_TIMEOUT_MS, [customFetch]: fetchImpl });
      keySets.set(jwksUri.href, keys);
    }
    return keys;
  };

  /** Marks a state used; false when it already was (a replayed callback). */
  const consume = (state: string, now: number): boolean => {
    for (const [key, until] of consumed) {
      if (until > now && consumed.size < MAX_CONSUMED) break;
      consumed.delete(key);
    }
    if (consumed.has(state)) return false;
    consumed.set(state, now + PENDING_MAX_AGE_MS);
    return true;
  };

  return {
    async begin() {
      const meta = await issuerMetadata();
      const pending: OidcPending = {
        state: randomToken(),
        nonce: randomToken(),
        code_verifier: randomToken(),
        created_at: Date.now(),
      };
      const url = new URL(meta.authorizationEndpoint);
      const params = {
        response_type: 'code',
        client_id: config.client_id,
        redirect_uri: redirect.href,
        scope: config.scopes.join(' '),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: createHash('sha256').update(pending.code_verifier).digest('base64url'),
        code_challenge_method: 'S256',
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return { url: url.href, pending };
    },

    async finish(callbackUrl, pending) {
      const now = Date.now();
      checkPending(pending, now);
      const params = callbackParams(callbackUrl, redirect);
      const meta = await issuerMetadata();
      const iss = params.get('iss');
      // RFC 9207: against mix-up, a response from another issuer is refused.
      if (iss !== undefined ? iss !== meta.issuer : meta.issParameter) throw signInRefused('iss parameter missing or not the issuer');
      const state = params.get('state');
      if (state === undefined || !stringsEqual(state, pending.state)) throw signInRefused('state does not match');
      const error = params.get('error');
      if (error !== undefined) throw signInRefused(`issuer refused: ${ERROR_CODE.test(error) ? error : 'unreadable error'}`);
      const code = params.get('code');
      if (code === undefined || code.length === 0 || code.length > MAX_CODE_CHARS) throw signInRefused('code missing or malformed');
      if (!consume(pending.state, now)) throw signInRefused('this sign-in was already completed or tried');
      const idToken = await exchangeCode(meta, config, redirect, code, pending.code_verifier, fetchImpl);
      const payload = await verifyIdToken(idToken, meta, keysOf(meta.jwksUri), { audience, clientId: config.client_id, clockToleranceS });
      if (typeof payload.nonce !== 'string' || !stringsEqual(payload.nonce, pending.nonce)) throw signInRefused('nonce does not match');
      return Object.freeze({ subject: subjectOf(payload), role: roleOf(payload, config, options.knownRoles), issuer: meta.issuer });
    },
  };
}

/** 256 random bits, base64url: state, nonce and the PKCE verifier (43 characters, RFC 7636 §4.1). */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function checkPending(pending: OidcPending, now: number): void {
  // It comes back from a cookie or a store: anything but the object begin() made is refused, not thrown on.
  if (typeof pending !== 'object' || pending === null) throw signInRefused('pending sign-in malformed');
  const fields = [pending.state, pending.nonce, pending.code_verifier];
  if (!fields.every((f) => typeof f === 'string' && f.length >= 43 && f.length <= 128)) throw signInRefused('pending sign-in malformed');
  if (typeof pending.created_at !== 'number' || !Number.isFinite(pending.created_at)) throw signInRefused('pending sign-in malformed');
  const age = now - pending.created_at;
  if (age > PENDING_MAX_AGE_MS || age < -60_000) throw signInRefused('pending sign-in expired');
}

/** The callback's query, each parameter once; the URL must be the redirect URI. */
function callbackParams(callbackUrl: URL, redirect: URL): Map<string, string> {
  if (callbackUrl.origin !== redirect.origin || callbackUrl.pathname !== redirect.pathname) throw signInRefused('callback is not the redirect URI');
  const params = new Map<string, string>();
  for (const [name, value] of callbackUrl.searchParams) {
    if (params.has(name)) throw signInRefused(`callback repeats a parameter`);
    params.set(name, value);
  }
  return params;
}

/** RFC 6749 §4.1.3 with RFC 7636's code_verifier; the client authenticates with client_secret_basic or, public, not at all. */
async function exchangeCode(
  meta: IssuerMetadata,
  config: OidcConfig,
  redirect: URL,
  code: string,
  codeVerifier: string,
  fetchImpl: typeof fetch,
): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirect.href, code_verifier: codeVerifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (config.client_secret === undefined) {
    body.set('client_id', config.client_id);
  } else {
    // RFC 6749 §2.3.1: each part form-encoded before base64.
    const formEncode = (s: string): string => new URLSearchParams({ s }).toString().slice(2);
    headers.authorization = `Basic ${Buffer.from(`${formEncode(config.client_id)}:${formEncode(config.client_secret)}`).toString('base64')}`;
  }
  let answer: Record<string, unknown>;
  let status: number;
  try {
    const response = await fetchImpl(meta.tokenEndpoint, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    status = response.status;
    answer = await readJsonObject(response, 'token response');
  } catch (error) {
    throw signInRefused(`token endpoint: ${error instanceof Error && error.name === 'Error' ? error.message : error instanceof Error ? error.name : 'failed'}`);
  }
  if (status !== 200) {
    const error = typeof answer.error === 'string' && ERROR_CODE.test(answer.error) ? answer.error : 'no error code';
    throw signInRefused(`token endpoint answered HTTP ${status} (${error})`);
  }
  const idToken = answer.id_token;
  if (typeof idToken !== 'string' || idToken.length === 0 || idToken.length > MAX_ID_TOKEN_CHARS) throw signInRefused('token response has no usable id_token');
  return idToken;
}

/** OpenID Connect Core §3.1.3.7: signature by the issuer's key, iss, aud, azp, exp and iat; the caller checks nonce. */
async function verifyIdToken(
  idToken: string,
  meta: IssuerMetadata,
  keys: JWTVerifyGetKey,
  expected: { audience: string; clientId: string; clockToleranceS: number },
): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      algorithms: [...meta.algorithms],
      issuer: meta.issuer,
      audience: expected.audience,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce'],
      clockTolerance: expected.clockToleranceS,
      maxTokenAge: PENDING_MAX_AGE_MS / 1000,
    }));
  } catch (error) {
    if (error instanceof errors.JWTClaimValidationFailed) throw signInRefused(`id_token: ${error.code} (${error.claim}: ${error.reason})`);
    if (error instanceof errors.JOSEError) throw signInRefused(`id_token: ${error.code}`);
    throw signInRefused(`id_token: ${error instanceof Error ? error.name : 'unreadable'}`);
  }
  // §3.1.3.7 items 4 and 5: with several audiences the token must name this client as its azp, and any azp must be this client.
  const several = Array.isArray(payload.aud) && payload.aud.length > 1;
  if ((several || payload.azp !== undefined) && payload.azp !== expected.clientId) throw signInRefused('id_token azp is not this client');
  return payload;
}

function subjectOf(payload: JWTPayload): string {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_CHARS || CONTROL_CHARS.test(sub)) {
    throw signInRefused('id_token sub missing or malformed');
  }
  return sub;
}

/** The role claim (or default_role), only if it is in allowed_roles and a role that exists. */
function roleOf(payload: JWTPayload, config: OidcConfig, knownRoles: ReadonlySet<string>): string {
  // Object.hasOwn: a role_claim such as "constructor" must not read the prototype.
  const claimed = Object.hasOwn(payload, config.role_claim) ? payload[config.role_claim] : undefined;
  const role = claimed ?? config.default_role;
  if (role === undefined) throw signInRefused(`no ${config.role_claim} claim and no default_role`);
  if (typeof role !== 'string' || !config.allowed_roles.includes(role) || !knownRoles.has(role)) {
    throw signInRefused(`${config.role_claim} claim is not an allowed, configured role`);
  }
  return role;
}
