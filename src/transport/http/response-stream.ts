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
 * How one request's HTTP response carries what the server sends for it: the answer as
 * one JSON body; or, when the client accepts text/event-stream, the first progress
 * notification turns the response into an event stream whose last event is the answer.
 * A 2025 session's responses name the session; a 2026-07-28 request has none (`undefined`),
 * and its answer is 200 unless it is the error 2026-07-28 answers with 400 wherever it arises
 * (MissingRequiredClientCapability), as the SDK's per-request transport answers it.
 */
export function requestResponse(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined): RequestResponse {
  const session: Record<string, string> = sessionId === undefined ? {} : { 'mcp-session-id': sessionId };
  const headers: Record<string, string> = { 'content-type': 'application/json', ...session };
  let answered = false;
  let streaming = false;
  const eventStream = acceptsEventStream(req);
  const startStream = (): void => {
    if (streaming) return;
    streaming = true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...session });
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
      res.writeHead(sessionId === undefined && missingCapability(reply) ? 400 : 200, headers).end(text);
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
      if (streaming || eventStream) {
        startStream();
        res.end();
      } else {
        res.writeHead(204, session).end();
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
