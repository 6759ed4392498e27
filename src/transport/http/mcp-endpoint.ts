import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { AuthError } from '../../auth/identity/errors.js';
import type { Principal } from '../../auth/identity/principal.js';
import { newCorrelationId } from '../../errors/correlation.js';
import { sendAuthFailure, type AuthChallenge } from './auth-response.js';
import type { AuthStage } from './auth-stage.js';
import type { CorsStage } from './cors.js';
import { calledTool, idOf, isToolCall, readJsonRpcMessage, rpcError, type BodyLimits } from './json-rpc-request.js';
import type { ModernExchange } from './modern-exchange.js';
import { isModernRequest } from './modern-exchange.js';
import type { HttpRefusal } from './refusal-report.js';
import { requestResponse } from './response-stream.js';
import type { Route } from './routes.js';
import { sendJson } from './send-json.js';
import { whenClientGone } from './client-gone.js';
import type { Session, SessionTable } from './sessions.js';

/**
 * A session opening (or a stateless request) refused by the rate limiter: how long to wait, and
 * client-safe words saying which limit. `unavailable`: the limiter's store is down and the
 * configuration says to refuse then (a stateless request only: fail closed, 503).
 */
export interface SessionOpenRefusal {
  readonly retryAfterMs: number;
  readonly message: string;
  readonly unavailable?: boolean | undefined;
}

export interface McpEndpointOptions {
  cors: CorsStage;
  authenticate: AuthStage;
  limits: BodyLimits;
  sessions: SessionTable;
  /** The OAuth scope a principal needs for this JSON-RPC message, if one is missing. */
  missingScope?: ((principal: Principal, message: JSONRPCMessage) => string | undefined) | undefined;
  /** The Bearer challenge, known once the server listens. */
  challenge: () => AuthChallenge | undefined;
  /** Counts a session opening against the principal's rate limit; a refusal when it is spent. */
  limitSessionOpen?: ((principal: Principal) => Promise<SessionOpenRefusal | undefined>) | undefined;
  /**
   * Counts a 2026-07-28 message against the principal's rate limit as it arrives, tool calls
   * included (their tool stage then spends only the tool's and the source's buckets), as a 2025
   * session opening is counted: every stateless request once, whether or not the SDK lets it
   * reach a tool; and a 2025 message refused for scope. A refusal when the bucket is spent, or
   * when the limiter's store is down and the configuration refuses calls then (`unavailable`):
   * these requests are counted nowhere else, so that must fail closed.
   */
  limitStatelessRequest: (principal: Principal) => Promise<SessionOpenRefusal | undefined>;
  /** Called with every refusal of an authenticated request (metrics, log, audit); awaited before the answer. */
  onRefusal?: ((refusal: HttpRefusal) => Promise<void>) | undefined;
  /** Called when an idle session was closed to make room for a new one. */
  onSessionReclaimed?: ((owner: Principal, sessionId: string) => void) | undefined;
  /** The per-principal session cap, for the refusal message. */
  maxSessionsPerPrincipal: number;
  /** Serves 2026-07-28 requests (stateless: no session, authenticated one by one). */
  modern: ModernExchange;
}

/**
 * /mcp, the Streamable HTTP endpoint: CORS → authenticate → POST (one JSON-RPC message:
 * a 2026-07-28 request on its own, or a 2025 message into the principal's session) or
 * DELETE (the end of a 2025 session).
 */
export function createMcpEndpoint(options: McpEndpointOptions): Route {
  const { sessions } = options;

  /** The session a message goes to: the one its header names, or a new one for `initialize`; undefined when refused. */
  async function sessionFor(req: IncomingMessage, res: ServerResponse, principal: Principal, message: JSONRPCMessage): Promise<Session | undefined> {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.find(sessionId, principal);
      if (session === undefined) sendJson(res, 404, rpcError(idOf(message), -32001, 'Session not found'));
      return session;
    }
    if ('method' in message && message.method === 'initialize' && 'id' in message) return openSession(res, principal, idOf(message));
    sendJson(res, 400, rpcError(idOf(message), -32600, 'Bad Request: Mcp-Session-Id header is required'));
    return undefined;
  }

  /**
   * A new session for `initialize`: counted by the rate limiter like a call, then opened
   * within the session caps (which may close an idle session of the same principal, or of
   * whoever holds the most). Every refusal is reported before it is answered.
   */
  async function openSession(res: ServerResponse, principal: Principal, id: string | number | null): Promise<Session | undefined> {
    if (await refusedForRate(res, principal, id, 'session_rate_limited', await options.limitSessionOpen?.(principal))) return undefined;
    const opened = await sessions.open(principal);
    if ('refused' in opened) {
      const atCap = opened.refused === 'principal_cap';
      const correlationId = await refused({ principal, reason: atCap ? 'session_limit' : 'sessions_full' });
      const message = atCap
        ? `Too many sessions for this principal (${options.maxSessionsPerPrincipal}), each with a request in flight; close one (HTTP DELETE) or retry when a request has finished. The limit is server.http.max_sessions_per_principal.`
        : 'Too many sessions on this server; retry later. The limit is server.http.max_sessions.';
      sendJson(res, atCap ? 429 : 503, rpcErrorWithCode(id, `${message} (correlation id: ${correlationId})`, 'SESSION_LIMIT', correlationId));
      return undefined;
    }
    if (opened.reclaimed !== undefined) options.onSessionReclaimed?.(opened.reclaimed.principal, opened.reclaimed.transport.sessionId);
    return opened.session;
  }

  /** Reports a refusal with a fresh correlation id, and returns that id for the answer. */
  async function refused(refusal: Omit<HttpRefusal, 'correlationId'>): Promise<string> {
    const correlationId = newCorrelationId();
    await options.onRefusal?.({ ...refusal, correlationId });
    return correlationId;
  }

  /**
   * Answers a rate-limit refusal after reporting it: 429 with Retry-After, or 503 when the
   * limiter's store is down and calls are refused then; false when there is none.
   */
  async function refusedForRate(
    res: ServerResponse,
    principal: Principal,
    id: string | number | null,
    reason: 'session_rate_limited' | 'request_rate_limited',
    limited: SessionOpenRefusal | undefined,
    tool?: string,
  ): Promise<boolean> {
    if (limited === undefined) return false;
    const unavailable = limited.unavailable === true;
    const correlationId = await refused({ principal, reason: unavailable ? 'limiter_unavailable' : reason, tool });
    res.setHeader('retry-after', String(Math.max(1, Math.ceil(limited.retryAfterMs / 1000))));
    const code = unavailable ? 'LIMITER_UNAVAILABLE' : 'RATE_LIMITED';
    sendJson(res, unavailable ? 503 : 429, rpcErrorWithCode(id, `${limited.message} (correlation id: ${correlationId})`, code, correlationId));
    return true;
  }

  /** Counts a request against the principal's limit (limitStatelessRequest) and answers its refusal; true when refused. */
  async function refusedForLimit(res: ServerResponse, principal: Principal, message: JSONRPCMessage): Promise<boolean> {
    return refusedForRate(res, principal, idOf(message), 'request_rate_limited', await options.limitStatelessRequest(principal), calledTool(message));
  }

  /** Refuses a message whose tool needs a scope the principal lacks; true when refused (and reported). */
  async function refusedForScope(res: ServerResponse, principal: Principal, message: JSONRPCMessage, scope: string | undefined, session: string | undefined): Promise<boolean> {
    if (scope === undefined) return false;
    await refused({ principal, reason: 'insufficient_scope', tool: calledTool(message), session });
    sendAuthFailure(res, new AuthError('AUTH_INSUFFICIENT_SCOPE', `missing scope ${scope}`, scope), options.challenge());
    return true;
  }

  async function post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const message = await readJsonRpcMessage(req, res, options.limits);
    if (message === undefined) return;
    if (isModernRequest(req, message)) {
      // Every stateless request is counted here, once, before anything else is decided about it:
      // whether the SDK's checks let a tool call reach Bastion's tool stage is never guessed (its
      // servers count no principal's call again), and a refusal for scope spends it too.
      if (await refusedForLimit(res, principal, message)) return;
      if (await refusedForScope(res, principal, message, options.missingScope?.(principal, message), undefined)) return;
      // A tool call's server only dispatches that call (createSessionServer's toolCallOnly).
      await options.modern.serve(req, res, principal, message, { toolCallOnly: isToolCall(message) });
      return;
    }
    const session = await sessionFor(req, res, principal, message);
    if (session === undefined) return;
    session.lastSeen = Date.now();
    // A message refused for scope never reaches the tool stage, which counts calls: it is counted here.
    const scope = options.missingScope?.(principal, message);
    if (scope !== undefined && (await refusedForLimit(res, principal, message))) return;
    if (await refusedForScope(res, principal, message, scope, session.transport.sessionId)) return;

    if (!('method' in message && 'id' in message)) {
      session.transport.deliver(message, undefined);
      res.writeHead(202).end();
      return;
    }
    const requestId = message.id;
    const response = requestResponse(req, res, { sessionId: session.transport.sessionId });
    const accepted = session.transport.deliver(message, response.handlers, req);
    if (!accepted) {
      sendJson(res, 409, rpcError(requestId, -32600, 'A request with this id is already in progress'));
      return;
    }
    // Only an accepted request is cancelled when its client goes away (a refused duplicate id
    // must not touch the request that holds that id): its handler is aborted, so its statement
    // stops, and its answer, should one still come, is dropped, never sent to a later request
    // that reuses the id.
    whenClientGone(req, res, () => {
      if (!response.answered()) session.transport.cancel(requestId, response.handlers);
    });
  }

  async function remove(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    req.resume();
    const session = sessions.find(req.headers['mcp-session-id'], principal);
    if (session === undefined) {
      sendJson(res, 404, { error: 'session not found' });
      return;
    }
    await sessions.remove(session);
    res.writeHead(204).end();
  }

  return async (req, res) => {
    if (options.cors(req, res)) return;
    const principal = await options.authenticate(req, res);
    if (principal === undefined) return;
    switch (req.method) {
      case 'POST':
        await post(req, res, principal);
        return;
      case 'DELETE':
        await remove(req, res, principal);
        return;
      default:
        req.resume();
        res.writeHead(405, { allow: 'POST, DELETE, OPTIONS', 'content-type': 'application/json' });
        res.end('{"error":"method not allowed"}');
    }
  };
}

/** A JSON-RPC error carrying Bastion's error code and correlation id in `data`, as tool errors do in `_meta`. */
function rpcErrorWithCode(id: string | number | null, message: string, code: string, correlationId: string): unknown {
  return { jsonrpc: '2.0', id, error: { code: -32000, message, data: { code, correlation_id: correlationId } } };
}
