import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Authenticate } from '../../auth/authenticate.js';
import type { Principal } from '../../auth/identity/principal.js';
import type { HttpConfig } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import type { AuthChallenge } from './auth-response.js';
import { createAuthStage, type AuthFailure, type AuthFailureThrottle } from './auth-stage.js';
import { createClientAddress } from './client-address.js';
import { createCors } from './cors.js';
import { createHttpGuard } from './guard.js';
import { createMcpEndpoint } from './mcp-endpoint.js';
import { createNodeServer } from './node-server.js';
import { createRoutes, type MetricsEndpoint } from './routes.js';
import { sendJson } from './send-json.js';
import { SessionTable } from './sessions.js';

export interface HttpServerOptions {
  config: HttpConfig;
  log: Logger;
  /** The authenticate stage: a principal, or an AuthError answered with 401/403. */
  authenticate: Authenticate;
  /** Builds the MCP server of a new session. */
  createSession: (principal: Principal) => McpServer;
  /** Failed-authentication throttling per client address (429 with Retry-After). */
  authThrottle?: AuthFailureThrottle;

  /** The OAuth scope a JWT principal needs for this JSON-RPC message, if one is missing. */
  missingScope?: (principal: Principal, message: JSONRPCMessage) => string | undefined;
  /** Called with every authentication failure and its client address, for the metrics, the log and the audit. */
  onAuthFailure?: (failure: AuthFailure) => void | Promise<void>;
  /** GET /metrics on this listener, behind authentication, for principals `allowed` accepts. */
  metrics?: MetricsEndpoint;
  /** GET /readyz: true when every source answers its probe. The answer names nothing. */
  ready?: () => Promise<boolean>;
}

/** Idle sessions are looked for this often. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Streamable HTTP at /mcp on node:http: guard → route → (for /mcp) CORS → authenticate
 * → session → MCP. Each stage is built once, here, from the configuration; each session
 * owns one MCP server object, bound to the principal that opened it.
 */
export class BastionHttpServer {
  private readonly http: Server;
  private readonly sessions: SessionTable;
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
    this.sessions = new SessionTable({ createSession: options.createSession, maxSessions: config.max_sessions, idleTimeoutMs: config.session_idle_timeout_ms });
    const mcp = createMcpEndpoint({ cors: createCors(config.allowed_origins), authenticate, limits: guard, sessions: this.sessions, missingScope: options.missingScope, challenge });
    const route = createRoutes({ mcp, authenticate, ready: options.ready, metrics: options.metrics, challenge });
    this.http = createNodeServer(config, options.log, async (req, res) => {
      const rejection = guard.checkHostAndOrigin(req);
      if (rejection !== undefined) {
        req.resume();
        sendJson(res, rejection.status, { error: rejection.message });
        return;
      }
      await route(req, res);
    });
    this.sweeper = setInterval(() => this.sessions.sweep(), SWEEP_INTERVAL_MS);
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
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
