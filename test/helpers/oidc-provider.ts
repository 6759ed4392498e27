/**
 * A real OpenID Connect provider for tests (panva's oidc-provider, a devDependency)
 * on 127.0.0.1 at a random port, with two clients and a login that completes without
 * a person: the interaction route signs in the account login() names and grants the
 * scopes asked for. Nothing here is mocked: discovery, the authorization endpoint,
 * PKCE, the token endpoint, the JWKS and the signed ID tokens are oidc-provider's.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  /** Default `alice`. */
  sub?: string;
  /** Put in the role claim; `undefined` leaves the claim out. Default `admin`. */
  role?: string | undefined;
}

export interface TestIssuer {
  /** e.g. http://127.0.0.1:41234 */
  readonly issuer: string;
  readonly clientId: string;
  /** Set when started with `confidential: true` (the client then authenticates with client_secret_basic). */
  readonly clientSecret: string | undefined;
  /** A second public client with the same redirect URI: its ID tokens carry another `aud`. */
  readonly otherClientId: string;
  readonly redirectUri: string;
  /** Follows an authorization URL through the sign-in as `account`; resolves to the callback URL (code, state, iss). */
  login(authorizationUrl: string, account?: TestAccount): Promise<URL>;
  close(): Promise<void>;
}

export interface TestIssuerOptions {
  /** Claim that carries the role; default `role`. */
  roleClaim?: string;
  /** Default http://127.0.0.1:9/console/oidc/callback (never requested: login() stops at it). */
  redirectUri?: string;
  confidential?: boolean;
}

export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const roleClaim = options.roleClaim ?? 'role';
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:9/console/oidc/callback';
  const clientId = 'bastion-console';
  const otherClientId = 'another-app';
  const clientSecret = options.confidential === true ? randomBytes(24).toString('base64url') : undefined;
  const accounts = new Map<string, string | undefined>();
  let signingIn: { sub: string; role: string | undefined } | undefined;

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      clientSecret === undefined
        ? { client_id: clientId, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] }
        : { client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code'], response_types: ['code'] },
      { client_id: otherClientId, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    ttl: { AuthorizationCode: 60, AccessToken: 300, IdToken: 300, Interaction: 300, Grant: 300, Session: 300 },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    claims: { openid: ['sub', roleClaim] },
    // Put the scope's claims (the role) in the ID token itself, as most providers can be configured to.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) =>
      accounts.has(sub)
        ? { accountId: sub, claims: async () => ({ sub, ...(accounts.get(sub) === undefined ? {} : { [roleClaim]: accounts.get(sub) }) }) }
        : undefined,
  });
  provider.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/interaction/')) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (signingIn === undefined) throw new Error('no login() in progress');
    const grant = new provider.Grant({ accountId: signingIn.sub, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: signingIn.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  });
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    otherClientId,
    redirectUri,
    async login(authorizationUrl, account = {}) {
      const who = { sub: account.sub ?? 'alice', role: 'role' in account ? account.role : 'admin' };
      accounts.set(who.sub, who.role);
      signingIn = who;
      const callback = new URL(redirectUri);
      // A fresh cookie jar per login: no provider session carries over from an earlier test.
      const jar = new Map<string, string>();
      let url = new URL(authorizationUrl);
      try {
        for (let hop = 0; hop < 10; hop++) {
          const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
          for (const cookie of response.headers.getSetCookie()) {
            const [pair = ''] = cookie.split(';');
            const at = pair.indexOf('=');
            jar.set(pair.slice(0, at), pair.slice(at + 1));
          }
          const location = response.headers.get('location');
          if (location === null) throw new Error(`the provider answered ${response.status} without a redirect: ${(await response.text()).slice(0, 300)}`);
          url = new URL(location, url);
          if (url.origin === callback.origin && url.pathname === callback.pathname) return url;
        }
        throw new Error('too many redirects');
      } finally {
        signingIn = undefined;
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
