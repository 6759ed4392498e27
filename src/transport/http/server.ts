import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/server';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Authenticate } from '../../auth/authenticate.js';
import type { Principal } from '../../auth/identity/principal.js';
import type { HttpConfig } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import type { AuthChallenge } from './auth-response.js';
import { createAuthStage, type AuthFailure, type AuthFailureThrottle } from './auth-stage.js';
import { createClientAddress } from './client-address.js';
import { createCors } from './cors.js';
import { createHttpGuard } from './guard.js';
import { createMcpEndpoint, type McpEndpointOptions } from './mcp-endpoint.js';
import { createModernExchange, type ModernExchange, type ServerUse } from './modern-exchange.js';
import { createNodeServer } from './node-server.js';
import { createRoutes, type MetricsEndpoint, type Route } from './routes.js';
import { sendJson } from './send-json.js';
import { SessionTable } from './sessions.js';

export interface HttpServerOptions {
  config: HttpConfig;
  log: Logger;
  /** The authenticate stage: a principal, or an AuthError answered with 401/403. */
  authenticate: Authenticate;
  /** Builds the MCP server of a new 2025 session, or of one 2026-07-28 request (`use` says what that request is). */
  createSession: (principal: Principal, use?: ServerUse) => McpServer;
  /** Failed-authentication throttling per client address (429 with Retry-After). */
  authThrottle?: AuthFailureThrottle;

  /** The OAuth scope a JWT principal needs for this JSON-RPC message, if one is missing. */
  missingScope?: (principal: Principal, message: JSONRPCMessage) => string | undefined;
  /** Called with every authentication failure and its client address, for the metrics, the log and the audit. */
  onAuthFailure?: (failure: AuthFailure) => void | Promise<void>;
  /** Counts a session opening against the principal's rate limit; a refusal when it is spent. */
  limitSessionOpen?: McpEndpointOptions['limitSessionOpen'];
  /** Counts a 2026-07-28 request other than a tool call against the principal's rate limit. */
  /** Required: the 2026-07-28 servers count no principal's call themselves (ServerUse.principalCounted). */
  limitStatelessRequest: McpEndpointOptions['limitStatelessRequest'];
  /** Called with every refusal of an authenticated request, for the metrics, the log and the audit. */
  onRefusal?: McpEndpointOptions['onRefusal'];
  /** Called when an idle session was closed to make room for a new one. */
  onSessionReclaimed?: McpEndpointOptions['onSessionReclaimed'];
  /** GET /metrics on this listener, behind authentication, for principals `allowed` accepts. */
  metrics?: MetricsEndpoint;
  /** GET /readyz: true when every source answers its probe. The answer names nothing. */
  ready?: () => Promise<boolean>;
  /** /console and the paths under it, behind the same guard (src/console/). */
  console?: Route;
}

/** Idle sessions are looked for this often, or twice per idle timeout when that is shorter (at most once a second). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Streamable HTTP at /mcp on node:http: guard → route → (for /mcp) CORS → authenticate
 * → body → era: a 2025 message goes to its session, a 2026-07-28 request to a server of
 * its own (modern-exchange.ts), both built by `createSession` for the principal. Each stage is built once, here, from the configuration; each session
 * owns one MCP server object, bound to the principal that opened it.
 */
export class BastionHttpServer {
  private readonly http: Server;
  private readonly sessions: SessionTable;
  private readonly modern: ModernExchange;
  private readonly sweeper: NodeJS.Timeout;
  private challenge: AuthChallenge | undefined;

  constructor(private readonly options: HttpServerOptions) {
    const { config } = options;
    const guard = createHttpGuard(config);
    const challenge = (): AuthChallenge | undefined => this.challenge;
    const authenticate = createAuthStage({
      authenticate: options.authenticate,
      clientAddress: createClientAddress(config.trusted_proxies),
      throttle: options.authThrottle,
      onAuthFailure: options.onAuthFailure,
      challenge,
    });
    this.sessions = new SessionTable({
      createSession: options.createSession,
      maxSessions: config.max_sessions,
      maxSessionsPerPrincipal: config.max_sessions_per_principal,
      idleTimeoutMs: config.session_idle_timeout_ms,
    });
    this.modern = createModernExchange({ createServer: options.createSession, maxBodyBytes: guard.maxBodyBytes, log: options.log });
    const mcp = createMcpEndpoint({
      cors: createCors(config.allowed_origins),
      authenticate,
      limits: guard,
      sessions: this.sessions,
      missingScope: options.missingScope,
      challenge,
      limitSessionOpen: options.limitSessionOpen,
      limitStatelessRequest: options.limitStatelessRequest,
      onRefusal: options.onRefusal,
      onSessionReclaimed: options.onSessionReclaimed,
      maxSessionsPerPrincipal: config.max_sessions_per_principal,
      modern: this.modern,
    });
    const route = createRoutes({ mcp, authenticate, ready: options.ready, metrics: options.metrics, challenge, console: options.console });
    this.http = createNodeServer(config, options.log, async (req, res) => {
      const rejection = guard.checkHostAndOrigin(req);
      if (rejection !== undefined) {
        req.resume();
        sendJson(res, rejection.status, { error: rejection.message });
        return;
      }
      await route(req, res);
    });
    const sweepEvery = Math.min(SWEEP_INTERVAL_MS, Math.max(1000, Math.floor(config.session_idle_timeout_ms / 2)));
    this.sweeper = setInterval(() => this.sessions.sweep(), sweepEvery);
    this.sweeper.unref();
  }

  /** Open MCP sessions, for the sessions gauge. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** RFC 9728 metadata and the challenges that point to it; set once the URL is known. */
  setChallenge(challenge: AuthChallenge): void {
    this.challenge = challenge;
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.options.config;
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sessions.closeAll();
    await this.modern.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
