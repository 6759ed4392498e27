import type { BastionConfig, HttpConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { createAuthenticator, type Authenticate } from './authenticate.js';
import { ANONYMOUS_PRINCIPAL } from './identity/principal.js';
import type { ApiKeys } from './api-keys/open.js';

export interface OpenedAuthentication {
  readonly authenticate: Authenticate;
  /** The API key store and verifier, when API keys are enabled: the console signs in with them and manages them. */
  readonly apiKeys?: ApiKeys | undefined;
  /** Releases what the methods hold (the API key store and its poll). */
  close(): Promise<void>;
}

export interface AuthenticationOptions {
  /** `--no-auth`: every request is the anonymous reader; the caller allows it on loopback only. */
  noAuth: boolean;
  /** Roles that exist: a credential naming any other role is refused. */
  roles: ReadonlySet<string>;
  log: Logger;
}

const NOTHING_TO_CLOSE = async (): Promise<void> => undefined;

/**
 * The authenticate stage of an HTTP listener, from the configuration: API keys (the
 * store opened, loaded and polled), JWT issuers (their keys usable before the start
 * goes on), mTLS client principals when a client CA is set. No method at all stops
 * the start. Each method's module loads only when it is configured.
 */
export async function openAuthentication(config: BastionConfig, http: HttpConfig, options: AuthenticationOptions): Promise<OpenedAuthentication> {
  if (options.noAuth) return { authenticate: async () => ANONYMOUS_PRINCIPAL, close: NOTHING_TO_CLOSE };
  const { roles, log } = options;
  let apiKeys: ApiKeys | undefined;
  if (config.auth.api_keys.enabled) {
    const { openApiKeys } = await import('./api-keys/index.js');
    apiKeys = await openApiKeys(config, log);
  }
  let jwt;
  if (config.auth.jwt.issuers.length > 0) {
    const { JwtVerifier } = await import('./jwt/verifier.js');
    jwt = JwtVerifier.create(config.auth.jwt.issuers, log, { knownRoles: roles });
    await jwt.ready();
  }
  const clientPrincipals = http.tls?.client_ca_file !== undefined ? http.tls.client_principals : undefined;
  if (apiKeys === undefined && jwt === undefined && clientPrincipals === undefined) {
    throw new BastionError(
      'CONFIG_INVALID',
      'HTTP needs an authentication method: keep auth.api_keys enabled, configure auth.jwt.issuers, or set server.http.tls.client_ca_file for mTLS (or use --no-auth on 127.0.0.1 only).',
    );
  }
  const opened = apiKeys;
  return {
    authenticate: createAuthenticator({ apiKeys: apiKeys?.verifier, jwt, clientPrincipals, roles }),
    apiKeys,
    close: opened === undefined ? NOTHING_TO_CLOSE : () => opened.close(),
  };
}
