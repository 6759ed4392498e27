import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Authenticate } from '../../auth/authenticate.js';
import { AuthError } from '../../auth/identity/errors.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { HttpConfig } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import type { Principal } from '../../auth/identity/principal.js';
import { authFailureResponse, type AuthChallenge } from './auth-response.js';
import { createAuthStage, type AuthFailure, type AuthFailureThrottle, type AuthStage } from './auth-stage.js';
import { createClientAddress } from './client-address.js';
import { sendJson } from './send-json.js';
import { corsHeaders, preflight } from './cors.js';
import { createHttpGuard, jsonDepthExceeds, type HttpGuard } from './guard.js';
import { SessionTransport, type ResponseHandlers } from './session-transport.js';

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
  metrics?: {
    allowed(principal: Principal): boolean;
    render(): Promise<{ contentType: string; text: string }>;
  };
  /** GET /readyz: true when every source answers its probe. The answer names nothing. */
  ready?: () => Promise<boolean>;
}

interface Session {
  readonly transport: SessionTransport;
  readonly server: McpServer;
  readonly principal: Principal;
  lastSeen: number;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Streamable HTTP at /mcp on node:http: guard → authenticate → session → MCP.
 * Each session owns one MCP server object, bound to the principal that opened it.
 */
export class BastionHttpServer {
  private readonly http: Server;
  private readonly guard: HttpGuard;
  private readonly authenticate: AuthStage;
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  private challenge: AuthChallenge | undefined;

  constructor(private readonly options: HttpServerOptions) {
    this.guard = createHttpGuard(options.config);
    this.authenticate = createAuthStage({
      authenticate: options.authenticate,
      clientAddress: createClientAddress(options.config.trusted_proxies),
      throttle: options.authThrottle,
      onAuthFailure: options.onAuthFailure,
      challenge: () => this.challenge,
    });
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      if (options.config.tls !== undefined) res.setHeader('strict-transport-security', 'max-age=31536000');
      this.handle(req, res).catch((error: unknown) => {
        options.log.error({ err: error }, 'http request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    };
    const timeouts = { headersTimeout: options.config.headers_timeout_ms, requestTimeout: options.config.request_timeout_ms };
    const tls = options.config.tls;
    this.http =
      tls === undefined
        ? createServer(timeouts, listener)
        : createHttpsServer(
            {
              ...timeouts,
              cert: readFileSync(tls.cert_file),
              key: readFileSync(tls.key_file),
              minVersion: 'TLSv1.2',
              // With a client CA, a client certificate is required and must chain to it.
              ...(tls.client_ca_file !== undefined ? { ca: readFileSync(tls.client_ca_file), requestCert: true, rejectUnauthorized: true } : {}),
            },
            listener,
          );
    this.http.keepAliveTimeout = 5_000;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
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
    await Promise.allSettled([...this.sessions.values()].map((s) => s.server.close()));
    this.sessions.clear();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rejection = this.guard.checkHostAndOrigin(req);
    if (rejection !== undefined) {
      req.resume();
      sendJson(res, rejection.status, { error: rejection.message });
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') {
      sendJson(res, req.method === 'GET' ? 200 : 405, req.method === 'GET' ? { status: 'ok' } : { error: 'method not allowed' });
      return;
    }
    const ready = this.options.ready;
    if (path === '/readyz' && ready !== undefined) {
      req.resume();
      if (req.method !== 'GET') sendJson(res, 405, { error: 'method not allowed' });
      else if (await ready()) sendJson(res, 200, { status: 'ready' });
      else sendJson(res, 503, { status: 'not ready' });
      return;
    }
    const metrics = this.options.metrics;
    if (path === '/metrics' && metrics !== undefined) {
      await this.serveMetrics(req, res, metrics);
      return;
    }
    const challenge = this.challenge;
    if (challenge !== undefined && challenge.metadataPaths.includes(path)) {
      req.resume();
      sendJson(res, req.method === 'GET' ? 200 : 405, req.method === 'GET' ? challenge.metadata : { error: 'method not allowed' });
      return;
    }
    if (path !== '/mcp') {
      req.resume();
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const cors = corsHeaders(req, this.options.config);
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      req.resume();
      preflight(res, cors);
      return;
    }
    const principal = await this.authenticate(req, res);
    if (principal === undefined) return;
    switch (req.method) {
      case 'POST':
        await this.post(req, res, principal);
        return;
      case 'DELETE':
        await this.remove(req, res, principal);
        return;
      default:
        req.resume();
        res.writeHead(405, { allow: 'POST, DELETE, OPTIONS', 'content-type': 'application/json' });
        res.end('{"error":"method not allowed"}');
    }
  }

  /** /metrics on the main listener: authenticated like /mcp, then only for the principals metrics.allowed accepts. */
  private async serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: NonNullable<HttpServerOptions['metrics']>): Promise<void> {
    const principal = await this.authenticate(req, res);
    if (principal === undefined) return;
    req.resume();
    if (req.method !== 'GET') {
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    if (!metrics.allowed(principal)) {
      sendJson(res, 403, { error: 'forbidden' });
      return;
    }
    const { contentType, text } = await metrics.render();
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) }).end(text);
  }

  private async post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().startsWith('application/json')) {
      req.resume();
      sendJson(res, 415, rpcError(null, -32600, 'Content-Type must be application/json'));
      return;
    }
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      req.resume();
      sendJson(res, 400, rpcError(null, -32600, 'Unsupported MCP-Protocol-Version'));
      return;
    }
    const body = await readBody(req, this.guard.maxBodyBytes);
    if (body === undefined) {
      sendJson(res, 413, rpcError(null, -32600, `Request body exceeds ${this.guard.maxBodyBytes} bytes`), true);
      return;
    }
    if (jsonDepthExceeds(body, this.guard.maxJsonDepth)) {
      sendJson(res, 400, rpcError(null, -32600, `JSON nesting exceeds depth ${this.guard.maxJsonDepth}`));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      sendJson(res, 400, rpcError(null, -32700, 'Parse error'));
      return;
    }
    if (!isJsonRpcMessage(message)) {
      sendJson(res, 400, rpcError(null, -32600, 'Invalid Request: one JSON-RPC 2.0 message per POST'));
      return;
    }

    const sessionId = req.headers['mcp-session-id'];
    let session: Session | undefined;
    if (typeof sessionId === 'string') {
      session = this.sessions.get(sessionId);
      // A session id is not a credential: another principal's id is as unknown as a made-up one.
      if (session === undefined || session.principal.id !== principal.id) {
        sendJson(res, 404, rpcError(idOf(message), -32001, 'Session not found'));
        return;
      }
    } else if ('method' in message && message.method === 'initialize' && 'id' in message) {
      if (this.sessions.size >= this.options.config.max_sessions) {
        sendJson(res, 503, rpcError(idOf(message), -32000, 'Too many sessions'));
        return;
      }
      session = await this.open(principal);
    } else {
      sendJson(res, 400, rpcError(idOf(message), -32600, 'Bad Request: Mcp-Session-Id header is required'));
      return;
    }
    session.lastSeen = Date.now();

    const scope = this.options.missingScope?.(principal, message);
    if (scope !== undefined) {
      const answer = authFailureResponse(new AuthError('AUTH_INSUFFICIENT_SCOPE', `missing scope ${scope}`, scope), this.challenge);
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      sendJson(res, answer.status, answer.body);
      return;
    }

    const isRequest = 'method' in message && 'id' in message;
    if (!isRequest) {
      session.transport.deliver(message, undefined);
      res.writeHead(202).end();
      return;
    }
    const requestId = (message as { id: string | number }).id;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'mcp-session-id': session.transport.sessionId };
    let answered = false;
    let streaming = false;
    const eventStream = acceptsEventStream(req);
    const startStream = (): void => {
      if (streaming) return;
      streaming = true;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': session.transport.sessionId });
    };
    const handlers: ResponseHandlers = {
      reply: (reply) => {
        answered = true;
        if (streaming) {
          res.end(sseEvent(reply));
          return;
        }
        const text = JSON.stringify(reply);
        headers['content-length'] = String(Buffer.byteLength(text));
        res.writeHead(200, headers).end(text);
      },
      // The first progress notification turns the response into an event stream, when the
      // client accepts one; the answer is then the stream's last event.
      progress: eventStream
        ? (notification) => {
            if (answered || res.writableEnded) return;
            startStream();
            res.write(sseEvent(notification));
          }
        : undefined,
      // A cancelled request gets no answer (MCP): its stream ends, or it ends empty.
      cancelled: () => {
        answered = true;
        if (res.writableEnded) return;
        if (streaming || eventStream) {
          startStream();
          res.end();
        } else {
          res.writeHead(204, { 'mcp-session-id': session.transport.sessionId }).end();
        }
      },
    };
    const accepted = session.transport.deliver(message, handlers);
    // Only an accepted request's handlers are forgotten when its client goes away (a refused
    // duplicate id must not drop the handlers of the request that holds that id).
    if (accepted) {
      res.once('close', () => {
        if (!answered) session.transport.abandon(requestId, handlers);
      });
    }
    if (!accepted) sendJson(res, 409, rpcError(requestId, -32600, 'A request with this id is already in progress'));
  }

  private async open(principal: Principal): Promise<Session> {
    const id = randomBytes(16).toString('base64url');
    const transport = new SessionTransport(id);
    const server = this.options.createSession(principal);
    const session: Session = { transport, server, principal, lastSeen: Date.now() };
    transport.onclose = () => {
      this.sessions.delete(id);
    };
    await server.connect(transport);
    this.sessions.set(id, session);
    return session;
  }

  private async remove(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    req.resume();
    const sessionId = req.headers['mcp-session-id'];
    const session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
    if (session === undefined || session.principal.id !== principal.id) {
      sendJson(res, 404, { error: 'session not found' });
      return;
    }
    await session.server.close();
    this.sessions.delete(session.transport.sessionId);
    res.writeHead(204).end();
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.config.session_idle_timeout_ms;
    for (const session of this.sessions.values()) {
      if (session.lastSeen < cutoff) void session.server.close();
    }
  }
}

function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  if (m['jsonrpc'] !== '2.0') return false;
  if ('method' in m) return typeof m['method'] === 'string' && (!('id' in m) || validId(m['id']));
  return 'id' in m && validId(m['id']) && ('result' in m || 'error' in m);
}

function validId(id: unknown): boolean {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

function idOf(message: unknown): string | number | null {
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function rpcError(id: string | number | null, code: number, message: string): unknown {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** Whether the client listed text/event-stream in Accept (the spec has it list both that and JSON). */
function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes('text/event-stream');
}

/** One server-sent event carrying a JSON-RPC message (JSON text holds no raw newline). */
function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    req.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}
