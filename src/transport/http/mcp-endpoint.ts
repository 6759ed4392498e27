import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { AuthError } from '../../auth/identity/errors.js';
import type { Principal } from '../../auth/identity/principal.js';
import { sendAuthFailure, type AuthChallenge } from './auth-response.js';
import type { AuthStage } from './auth-stage.js';
import type { CorsStage } from './cors.js';
import { idOf, readJsonRpcMessage, rpcError, type BodyLimits } from './json-rpc-request.js';
import { requestResponse } from './response-stream.js';
import type { Route } from './routes.js';
import { sendJson } from './send-json.js';
import type { Session, SessionTable } from './sessions.js';

export interface McpEndpointOptions {
  cors: CorsStage;
  authenticate: AuthStage;
  limits: BodyLimits;
  sessions: SessionTable;
  /** The OAuth scope a principal needs for this JSON-RPC message, if one is missing. */
  missingScope?: ((principal: Principal, message: JSONRPCMessage) => string | undefined) | undefined;
  /** The Bearer challenge, known once the server listens. */
  challenge: () => AuthChallenge | undefined;
}

/**
 * /mcp, the Streamable HTTP endpoint: CORS → authenticate → POST (one JSON-RPC message
 * into the principal's session) or DELETE (the end of a session).
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
    if ('method' in message && message.method === 'initialize' && 'id' in message) {
      if (!sessions.full) return sessions.open(principal);
      sendJson(res, 503, rpcError(idOf(message), -32000, 'Too many sessions'));
      return undefined;
    }
    sendJson(res, 400, rpcError(idOf(message), -32600, 'Bad Request: Mcp-Session-Id header is required'));
    return undefined;
  }

  async function post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const message = await readJsonRpcMessage(req, res, options.limits);
    if (message === undefined) return;
    const session = await sessionFor(req, res, principal, message);
    if (session === undefined) return;
    session.lastSeen = Date.now();

    const scope = options.missingScope?.(principal, message);
    if (scope !== undefined) {
      sendAuthFailure(res, new AuthError('AUTH_INSUFFICIENT_SCOPE', `missing scope ${scope}`, scope), options.challenge());
      return;
    }

    if (!('method' in message && 'id' in message)) {
      session.transport.deliver(message, undefined);
      res.writeHead(202).end();
      return;
    }
    const requestId = message.id;
    const response = requestResponse(req, res, session.transport.sessionId);
    const accepted = session.transport.deliver(message, response.handlers);
    if (!accepted) {
      sendJson(res, 409, rpcError(requestId, -32600, 'A request with this id is already in progress'));
      return;
    }
    // Only an accepted request's handlers are forgotten when its client goes away (a refused
    // duplicate id must not drop the handlers of the request that holds that id).
    res.once('close', () => {
      if (!response.answered()) session.transport.abandon(requestId, response.handlers);
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
