import type { AddressInfo } from 'node:net';
import { createAuthenticator, type Authenticate } from '../auth/authenticate.js';
import { ANONYMOUS_PRINCIPAL, type Principal } from '../auth/principal.js';
import { canonicalResource, PROTECTED_RESOURCE_PATH, protectedResourceMetadata, resourceMetadataUrl } from '../auth/resource-metadata.js';
import { compileGlobs } from '../authorize/glob.js';
import type { HttpConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import { newCorrelationId } from '../errors/correlation.js';
import { allReady, createReadiness } from '../metrics/readiness.js';
import type { ServerContext } from '../session/context.js';
import { createSessionServer } from '../tools/session-server.js';
import { createHttpGuard, isLoopbackAddress } from '../transport/http/guard.js';
import { BastionHttpServer } from '../transport/http/server.js';

export interface HttpStart {
  server: BastionHttpServer;
  address: AddressInfo;
  url: string;
  close(): Promise<void>;
}

/**
 * Assembles the HTTP pipeline — guard, authenticate (API keys, JWT, mTLS),
 * sessions, scopes — from the configuration, and refuses unsafe combinations.
 */
export async function startHttp(ctx: ServerContext, http: HttpConfig, options: { noAuth: boolean }): Promise<HttpStart> {
  const { config, log } = ctx;
  const loopback = isLoopbackAddress(http.host);
  const closers: (() => Promise<void>)[] = [];
  let authenticate: Authenticate;

  // The same rule as `bastion doctor`'s http-exposure item: off loopback, authentication always, and TLS here or at a proxy.
  if (options.noAuth && !loopback) {
    throw new BastionError(
      'CONFIG_INVALID',
      `--no-auth is refused on the non-loopback address ${http.host}: anyone who can reach it could query your database. Bind to 127.0.0.1, or drop --no-auth and use API keys (bastion keys create) or JWT.`,
    );
  }
  if (!loopback && http.tls === undefined && !http.tls_terminated_by_proxy) {
    throw new BastionError(
      'CONFIG_INVALID',
      `Listening on the non-loopback address ${http.host} without TLS is refused: API keys, tokens and results would cross the network in clear text. Configure server.http.tls (cert_file, key_file); or, when a TLS-terminating proxy sits in front, set server.http.tls_terminated_by_proxy: true (and list it in server.http.trusted_proxies); or bind to 127.0.0.1.`,
    );
  }
  if (options.noAuth) {
    authenticate = async () => ANONYMOUS_PRINCIPAL;
  } else {
    const roles = new Set(ctx.roles.keys());
    let apiKeys;
    if (config.auth.api_keys.enabled) {
      const { openApiKeys } = await import('../auth/api-keys/index.js');
      apiKeys = await openApiKeys(config, log);
      const opened = apiKeys;
      closers.push(() => opened.close());
    }
    let jwt;
    if (config.auth.jwt.issuers.length > 0) {
      const { JwtVerifier } = await import('../auth/jwt/verifier.js');
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
    authenticate = createAuthenticator({ apiKeys: apiKeys?.verifier, jwt, clientPrincipals, roles });
    if (!loopback && http.tls === undefined) {
      log.info({ host: http.host }, 'serving plain HTTP on a non-loopback address: TLS is terminated by the proxy in front (server.http.tls_terminated_by_proxy)');
    }
  }

  const readiness = createReadiness(() => ctx.sources.list(), log);
  const toolScopes = Object.entries(config.auth.tool_scopes).map(([glob, scope]) => ({ match: compileGlobs([glob]), scope }));
  const server = new BastionHttpServer({
    config: http,
    log,
    authenticate,
    // JSON-response mode carries no server-to-client requests: write approvals go through the CLI.
    createSession: (principal) => createSessionServer(ctx, principal, { elicitation: false }),
    authThrottle: ctx.limiter,
    missingScope: (principal: Principal, message) => {
      if (principal.kind !== 'jwt' || !('method' in message) || message.method !== 'tools/call') return undefined;
      const tool = (message.params as { name?: unknown } | undefined)?.name;
      if (typeof tool !== 'string') return undefined;
      return toolScopes.find((s) => s.match(tool) && !principal.scopes.includes(s.scope))?.scope;
    },
    onAuthFailure: async ({ address, error, throttled, repeated }) => {
      ctx.metrics.recordAuthFailure(error.code);
      // Past the allowance only the metrics count, and one warning names the address when its
      // block starts: the log and the audit keep at most auth_failures_per_minute records a minute per address.
      if (throttled) {
        if (!repeated) {
          log.warn({ address, limit: config.rate_limits.auth_failures_per_minute }, 'failed authentications from this address are throttled (429) until the minute is over; valid credentials are still served');
        }
        return;
      }
      const correlationId = newCorrelationId();
      log.info({ code: error.code, reason: error.detail, address, correlationId }, 'authentication failed');
      // The refusal goes out whatever happens here; a record that could not be kept is logged.
      await ctx.audit
        .record({
          principal: { id: 'unknown', kind: 'unauthenticated', role: 'none' },
          correlation_id: correlationId,
          client: address,
          decision: 'deny',
          reason: error.code,
          outcome: 'auth_failed',
        })
        .catch((err: unknown) => log.error({ err, correlationId }, 'audit: the failed authentication could not be recorded'));
    },
    ready: async () => allReady(await readiness()),
    // On the main listener, metrics are for admins; a separate `metrics.listen` serves them to the host only.
    ...(ctx.metrics.enabled && config.metrics.listen === undefined
      ? { metrics: { allowed: (principal: Principal) => principal.role === 'admin', render: () => ctx.metrics.render() } }
      : {}),
  });
  ctx.metrics.trackSessions(() => server.sessionCount);
  ctx.metrics.trackSources(() => ctx.sources.list());
  const address = await server.listen().catch(async (error: unknown) => {
    for (const close of closers) await close();
    throw listenFailure(error, http.host, http.port, { port: '--port N or server.http.port', host: '--host or server.http.host' });
  });
  if (ctx.metrics.enabled && config.metrics.listen !== undefined) {
    try {
      closers.unshift(await startMetricsListener(ctx, http, config.metrics.listen));
    } catch (error) {
      await server.close();
      for (const close of closers) await close();
      throw error;
    }
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${http.tls === undefined ? 'http' : 'https'}://${host}:${address.port}/mcp`;
  const resource = canonicalResource(config.auth, url);
  const resourcePath = new URL(resource).pathname.replace(/\/$/, '');
  server.setChallenge({
    metadataPaths: [PROTECTED_RESOURCE_PATH, `${PROTECTED_RESOURCE_PATH}${resourcePath}`],
    metadata: protectedResourceMetadata(config.auth, resource, [...new Set(Object.values(config.auth.tool_scopes))]),
    metadataUrl: resourceMetadataUrl(resource),
  });
  return {
    server,
    address,
    url,
    async close() {
      await server.close();
      for (const close of closers) await close();
    },
  };
}

/** The loopback-only listener of metrics.listen; a non-loopback address stops the start. Also used over stdio. */
export async function startMetricsListener(ctx: ServerContext, http: HttpConfig, listen: string): Promise<() => Promise<void>> {
  const { listenForMetrics, parseListen } = await import('../metrics/listener.js');
  const where = parseListen(listen);
  if (where === undefined || !isLoopbackAddress(where.host)) {
    throw new BastionError(
      'CONFIG_INVALID',
      `metrics.listen: ${JSON.stringify(listen)} is refused: the metrics listener has no authentication, so it binds to loopback only (e.g. 127.0.0.1:9464). To scrape from elsewhere, remove metrics.listen and scrape /metrics on the main listener with an admin API key.`,
    );
  }
  const listener = await listenForMetrics(ctx.metrics, where, createHttpGuard(http), ctx.log).catch((error: unknown) => {
    throw listenFailure(error, where.host, where.port, { port: 'metrics.listen', host: 'metrics.listen' });
  });
  const host = listener.address.family === 'IPv6' ? `[${listener.address.address}]` : listener.address.address;
  ctx.log.info({ url: `http://${host}:${listener.address.port}/metrics` }, 'bastion serving metrics');
  return () => listener.close();
}

/**
 * A listen failure a person can act on: which address, and where to choose another
 * (`how`: the flag or key that sets the port, the host). Other errors pass through unchanged.
 */
export function listenFailure(error: unknown, host: string, port: number, how: { port: string; host: string }): unknown {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((error as { code?: unknown } | null)?.code) {
    case 'EADDRINUSE':
      return new BastionError('CONFIG_INVALID', `Port ${port} is already in use on ${host} (another Bastion or another program listens at ${where}). Choose another port with ${how.port}, or stop the other process.`);
    case 'EACCES':
      return new BastionError('CONFIG_INVALID', `Listening at ${where} is not permitted (ports below 1024 need privileges). Choose a port above 1023 with ${how.port}.`);
    case 'EADDRNOTAVAIL':
      return new BastionError('CONFIG_INVALID', `${host} is not an address of this machine, so nothing can listen at ${where}. Choose one of its addresses (or 127.0.0.1) with ${how.host}.`);
    default:
      return error;
  }
}
