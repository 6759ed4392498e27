import type { AddressInfo } from 'node:net';
import { openAuthentication, type OpenedAuthentication } from '../../auth/open.js';
import type { Principal } from '../../auth/identity/principal.js';
import { canonicalResource, PROTECTED_RESOURCE_PATH, protectedResourceMetadata, resourceMetadataUrl } from '../../auth/resource-metadata.js';
import { compileToolScopes } from '../../authorize/scope.js';
import { knownRoles } from '../../authorize/roles.js';
import type { ConsoleSso } from '../../console/deps.js';
import type { HttpConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import { allReady, createReadiness, type Readiness } from '../../metrics/readiness.js';
import { createClientAddress } from './client-address.js';
import type { Route } from './routes.js';
import type { ServerContext } from '../../session/context.js';
import { createSessionServer } from '../../tools/session-server.js';
import { RateLimitedError, type RateLimiter } from '../../ratelimit/index.js';
import { reportAuthFailures } from './auth-failure-report.js';
import type { SessionOpenRefusal } from './mcp-endpoint.js';
import { reportReclaims, reportRefusals } from './refusal-report.js';
import { isLoopbackAddress } from '../../util/loopback.js';
import { calledTool } from './json-rpc-request.js';
import { listenFailure } from './listen-failure.js';
import { startMetricsListener } from './metrics-listener.js';
import { BastionHttpServer } from './server.js';
import type { ServerUse } from './modern-exchange.js';
import type { McpServer } from '@modelcontextprotocol/server';

export interface HttpStart {
  server: BastionHttpServer;
  address: AddressInfo;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves HTTP for a server context: refuses an unsafe exposure, opens the authenticate
 * stage, assembles the listener (scopes, failure reports, readiness, metrics), listens,
 * and then publishes the protected-resource metadata for the URL it got.
 */
export async function startHttp(ctx: ServerContext, http: HttpConfig, options: { noAuth: boolean }): Promise<HttpStart> {
  const { config, log } = ctx;
  const loopback = isLoopbackAddress(http.host);
  refuseUnsafeExposure(http, loopback, options.noAuth);
  const auth = await openAuthentication(config, http, { noAuth: options.noAuth, roles: new Set(ctx.roles.keys()), log });
  const closers: (() => Promise<void>)[] = [() => auth.close()];
  if (!options.noAuth && !loopback && http.tls === undefined) {
    log.info({ host: http.host }, 'serving plain HTTP on a non-loopback address: TLS is terminated by the proxy in front (server.http.tls_terminated_by_proxy)');
  }

  const readiness = createReadiness(() => ctx.sources.list(), log);
  const web = config.console.enabled ? await openConsole(ctx, http, auth.apiKeys, readiness) : undefined;
  const toolScopes = compileToolScopes(config.auth.tool_scopes);
  const server = new BastionHttpServer({
    config: http,
    log,
    authenticate: auth.authenticate,
    createSession: httpSessionServers(ctx),
    authThrottle: ctx.limiter,
    missingScope: (principal, message) => {
      const tool = calledTool(message);
      return tool === undefined ? undefined : toolScopes.missingScope(principal, tool);
    },
    onAuthFailure: reportAuthFailures(ctx),
    limitSessionOpen: (principal) => principalRefusal(ctx.limiter, principal, 'open'),
    // Every stateless 2026-07-28 request (and a 2025 message refused for scope) spends the principal's bucket as it arrives.
    limitStatelessRequest: (principal) => principalRefusal(ctx.limiter, principal, 'refuse'),
    onRefusal: reportRefusals(ctx),
    onSessionReclaimed: reportReclaims(ctx),
    ready: async () => allReady(await readiness()),
    // On the main listener, metrics are for admins; a separate `metrics.listen` serves them to the host only.
    ...(ctx.metrics.enabled && config.metrics.listen === undefined
      ? { metrics: { allowed: (principal: Principal) => principal.role === 'admin', render: () => ctx.metrics.render() } }
      : {}),
    ...(web === undefined ? {} : { console: web }),
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
    metadata: protectedResourceMetadata(config.auth, resource, toolScopes.scopes),
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

/**
 * The console (src/console/), loaded only when enabled: it signs in with the listener's own
 * API key verifier, counts failed sign-ins with its throttle and reports them the same way.
 */
async function openConsole(ctx: ServerContext, http: HttpConfig, apiKeys: OpenedAuthentication['apiKeys'], readiness: Readiness): Promise<Route> {
  const { createConsole } = await import('../../console/index.js');
  const { config } = ctx;
  const web = createConsole({
    config,
    log: ctx.log,
    audit: ctx.audit,
    approvals: ctx.approvals,
    roles: ctx.roles,
    apiKeys,
    sources: async () => {
      const states = await readiness();
      return ctx.sources.list().map((entry) => ({
        name: entry.name,
        engine: config.sources[entry.name]?.engine ?? 'unknown',
        mode: entry.mode,
        ready: states.some((s) => s.name === entry.name && s.ready),
      }));
    },
    secure: http.tls !== undefined || http.tls_terminated_by_proxy,
    maxBodyBytes: http.max_body_bytes,
    clientAddress: createClientAddress(http.trusted_proxies),
    throttle: ctx.limiter,
    onAuthFailure: reportAuthFailures(ctx),
    sso: await openSso(ctx, http),
  });
  return (req, res) => web.handle(req, res);
}

/**
 * OpenID Connect sign-in for the console when auth.oidc is configured (src/console/oidc.ts,
 * loaded only then). The callback is auth.oidc.redirect_uri, or this listener's own
 * /console/oidc/callback when it has a fixed port.
 */
async function openSso(ctx: ServerContext, http: HttpConfig): Promise<ConsoleSso | undefined> {
  const oidc = ctx.config.auth.oidc;
  if (oidc === undefined) return undefined;
  const { createOidcClient } = await import('../../console/oidc.js');
  const scheme = http.tls !== undefined || http.tls_terminated_by_proxy ? 'https' : 'http';
  const host = http.host.includes(':') ? `[${http.host}]` : http.host;
  if (oidc.redirect_uri === undefined && http.port === 0) {
    throw new BastionError('CONFIG_INVALID', 'auth.oidc needs redirect_uri when the HTTP port is chosen at start (port 0): the issuer must know the callback in advance.');
  }
  const client = createOidcClient(oidc, {
    redirectUri: oidc.redirect_uri ?? `${scheme}://${host}:${http.port}/console/oidc/callback`,
    knownRoles: knownRoles(ctx.config),
  });
  return {
    begin: () => client.begin(),
    finish: (callbackUrl, pending) => client.finish(new URL(callbackUrl), pending as Parameters<typeof client.finish>[1]),
  };
}

/** The same rule as `bastion doctor`'s http-exposure item: off loopback, authentication always, and TLS here or at a proxy. */
function refuseUnsafeExposure(http: HttpConfig, loopback: boolean, noAuth: boolean): void {
  if (noAuth && !loopback) {
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
}

/**
 * The rate limiter's answer to a request that spends the principal's bucket at the endpoint: a
 * refusal when the bucket is spent. While the store is down (LIMITER_UNAVAILABLE, and the
 * configuration refuses calls then) `whenStoreDown` decides:
 * - `open`, for a session opening: it opens; the per-principal session cap still bounds it, and
 *   every tool call in it is refused until the store is back (fail closed, audited), which the
 *   client can only be told inside a session;
 * - `refuse`, for a stateless 2026-07-28 request or a message refused for scope: nothing else
 *   counts these, so letting them through would serve them unlimited (503).
 */
async function principalRefusal(limiter: RateLimiter, principal: Principal, whenStoreDown: 'open' | 'refuse'): Promise<SessionOpenRefusal | undefined> {
  try {
    await limiter.consumePrincipal(principal);
    return undefined;
  } catch (error) {
    if (error instanceof RateLimitedError) return { retryAfterMs: error.retryAfterMs, message: error.message };
    if (!(error instanceof BastionError && error.code === 'LIMITER_UNAVAILABLE')) throw error;
    return whenStoreDown === 'open' ? undefined : { retryAfterMs: STORE_RETRY_MS, message: error.message, unavailable: true };
  }
}

/** When a request refused for the rate-limit store being down is told to come back. */
const STORE_RETRY_MS = 5000;

/**
 * The MCP servers of the HTTP listener, for a 2025 session or a 2026-07-28 request, as `use`
 * asks. JSON-response mode carries no server-to-client requests: write approvals go through the
 * CLI, the console or a 2026-07-28 client's `input_required` round trip, never elicitation.
 */
export function httpSessionServers(ctx: ServerContext): (principal: Principal, use?: ServerUse) => McpServer {
  return (principal, use) =>
    createSessionServer(ctx, principal, {
      elicitation: false,
      toolCallOnly: use?.toolCallOnly === true,
      ...(use?.protocolVersions === undefined ? {} : { protocolVersions: use.protocolVersions }),
      sharedByClients: use?.sharedByClients === true,
      principalCounted: use?.principalCounted === true,
    });
}
