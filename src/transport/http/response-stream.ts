import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/server';
import type { ResponseHandlers } from './session-transport.js';

/** The response of one POSTed request, as the session transport writes to it. */
export interface RequestResponse {
  readonly handlers: ResponseHandlers;
  /** True once the answer (or the end a cancel brings) has been written. */
  answered(): boolean;
}

/**
 * How one request's HTTP response carries what the server sends for it: the answer as one
 * JSON body, or, once the request sends progress, an event stream of that progress whose last
 * event is the answer. The two eras differ in details a client can see, each as the SDK's own
 * transport of that era does:
 * - a 2025 session (`{ sessionId }`): every response names the session; progress streams only
 *   when the client accepts text/event-stream; a cancelled request's JSON response is 204;
 * - a 2026-07-28 request (`'stateless'`, the SDK's per-request transport): no session; progress
 *   streams whatever Accept says, with its stream headers (no-transform, no proxy buffering); the
 *   answer is 200 unless it is the one error this era answers with 400 wherever it arises
 *   (MissingRequiredClientCapability); a request cut off before its answer (the server closing)
 *   gets 499.
 */
export function requestResponse(req: IncomingMessage, res: ServerResponse, era: { readonly sessionId: string } | 'stateless'): RequestResponse {
  const stateless = era === 'stateless';
  const session: Record<string, string> = stateless ? {} : { 'mcp-session-id': era.sessionId };
  const headers: Record<string, string> = { 'content-type': 'application/json', ...session };
  const streamHeaders: Record<string, string> = stateless
    ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' }
    : { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...session };
  let answered = false;
  let streaming = false;
  const eventStream = stateless || acceptsEventStream(req);
  const startStream = (): void => {
    if (streaming) return;
    streaming = true;
    res.writeHead(200, streamHeaders);
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
      res.writeHead(stateless && missingCapability(reply) ? 400 : 200, headers).end(text);
    },
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
      if (streaming || (!stateless && eventStream)) {
        startStream();
        res.end();
      } else {
        res.writeHead(stateless ? 499 : 204, session).end();
      }
    },
  };
  return { handlers, answered: () => answered };
}

const MISSING_CAPABILITY: number = ProtocolErrorCode.MissingRequiredClientCapability;

function missingCapability(reply: JSONRPCMessage): boolean {
  return 'error' in reply && reply.error.code === MISSING_CAPABILITY;
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
