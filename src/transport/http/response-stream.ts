import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
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
 */
export function requestResponse(req: IncomingMessage, res: ServerResponse, sessionId: string): RequestResponse {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'mcp-session-id': sessionId };
  let answered = false;
  let streaming = false;
  const eventStream = acceptsEventStream(req);
  const startStream = (): void => {
    if (streaming) return;
    streaming = true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'mcp-session-id': sessionId });
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
        res.writeHead(204, { 'mcp-session-id': sessionId }).end();
      }
    },
  };
  return { handlers, answered: () => answered };
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
