import type { IncomingMessage } from 'node:http';
import type { MessageExtraInfo, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { isSpecType, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/server';

/** How the HTTP response of one request takes what the server sends for it. */
export interface ResponseHandlers {
  /** The answer. */
  readonly reply: (message: JSONRPCMessage) => void;
  /** The request's own notifications/progress, when its client can take a stream. */
  readonly progress?: ((message: JSONRPCMessage) => void) | undefined;
  /** The client cancelled the request: the server sends no answer, so the response ends without one. */
  readonly cancelled?: (() => void) | undefined;
}

/**
 * A Streamable HTTP session's side of the SDK Transport interface, answering each
 * POSTed request on its own response: one JSON body, or (once the request sends a
 * progress notification and its client accepts text/event-stream) a stream of that
 * request's progress followed by its answer. The HTTP server parses and guards the
 * request; this only pairs answers and progress with askers. Nothing is ever sent on
 * another request's response or on a standalone stream.
 */
export class SessionTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage, extra?: MessageExtraInfo) => void) | undefined;
  private readonly waiting = new Map<RequestId, ResponseHandlers>();
  private closed = false;
  /** The last handler request built, by the header values it carries (see handlerRequest). */
  private lastRequest: { readonly key: string; readonly request: Request } | undefined;

  constructor(readonly sessionId: string) {}

  /** True while a request of this session waits for its answer: such a session is never reclaimed as idle. */
  get busy(): boolean {
    return this.waiting.size > 0;
  }

  async start(): Promise<void> {
    // nothing to open: requests arrive through deliver()
  }

  /**
   * Hands a client message to the server; for a request, `handlers` take what the server
   * sends for it, and `req` the HTTP request that carried it (see handlerRequest).
   */
  deliver(message: JSONRPCMessage, handlers: ResponseHandlers | undefined, req?: IncomingMessage): boolean {
    if (this.closed) return false;
    const id = 'id' in message ? message.id : undefined;
    if (handlers !== undefined && id !== undefined) {
      if (this.waiting.has(id)) return false;
      this.waiting.set(id, handlers);
    }
    this.onmessage?.(message, req === undefined ? undefined : { request: this.handlerRequest(req) });
    const target = cancelledRequest(message);
    // The SDK aborts the request and never answers it; end its response here.
    const cancelled = target === undefined ? undefined : this.waiting.get(target);
    if (target !== undefined && cancelled !== undefined) {
      this.waiting.delete(target);
      cancelled.cancelled?.();
    }
    return true;
  }

  /**
   * The HTTP request as a handler sees it (handlerRequest), built again only when one of its
   * header values changes: a session's messages mostly carry the same protocol version and no
   * trace context, so they share one. It holds nothing else (no body, no credentials), and
   * nothing writes to it: handlers only read its headers (dispatch.ts).
   */
  private handlerRequest(req: IncomingMessage): Request {
    const key = handlerHeaderKey(req);
    if (this.lastRequest?.key !== key) this.lastRequest = { key, request: handlerRequest(req) };
    return this.lastRequest.request;
  }

  /**
   * The client went away before its answer: if the request is still this one's, forget its
   * reply and cancel it as a client's notifications/cancelled would — the SDK aborts its
   * handler (the statement stops) and sends no answer for it, so a later request reusing the
   * id gets its own.
   */
  cancel(id: RequestId, handlers: ResponseHandlers): void {
    if (this.closed || this.waiting.get(id) !== handlers) return;
    this.waiting.delete(id);
    this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client closed the request' } });
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ('method' in message) {
      // Only a request's own progress goes out, on that request's response. Other
      // notifications and server-to-client requests would need a standalone stream,
      // which this server does not keep.
      const related = options?.relatedRequestId;
      if (!('id' in message) && message.method === 'notifications/progress' && related !== undefined) this.waiting.get(related)?.progress?.(message);
      return;
    }
    const id = message.id;
    if (id === undefined) return;
    const waiting = this.waiting.get(id);
    if (waiting === undefined) return;
    this.waiting.delete(id);
    waiting.reply(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The session ends: no answer comes for what is still running, so its responses end now.
    const open = [...this.waiting.values()];
    this.waiting.clear();
    for (const handlers of open) handlers.cancelled?.();
    this.onclose?.();
  }
}

/** Headers a tool handler reads (trace context, protocol version): never the credentials the request carried. */
const HANDLER_HEADERS = ['traceparent', 'tracestate', 'mcp-protocol-version'] as const;

/**
 * The HTTP request as the SDK shows it to a handler (`ctx.http.req`): a web Request with
 * only HANDLER_HEADERS and no body (the SDK has the parsed message already).
 */
function handlerRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const name of HANDLER_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request('http://bastion.invalid/mcp', { method: 'POST', headers });
}

/** The values of HANDLER_HEADERS as one string (a header absent or repeated counts as absent, as handlerRequest leaves it out). */
function handlerHeaderKey(req: IncomingMessage): string {
  let key = '';
  for (const name of HANDLER_HEADERS) {
    const value = req.headers[name];
    key += typeof value === 'string' ? `${value.length}:${value}` : '-';
  }
  return key;
}

/**
 * The request a notifications/cancelled names, when the SDK will act on it: a message
 * its schema accepts, with a request id. Otherwise the request runs on and its answer
 * still comes.
 */
function cancelledRequest(message: JSONRPCMessage): RequestId | undefined {
  if (!('method' in message) || message.method !== 'notifications/cancelled' || 'id' in message) return undefined;
  if (!isSpecType.CancelledNotification(message)) return undefined;
  return message.params?.requestId;
}
