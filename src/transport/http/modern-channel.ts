import type { IncomingMessage } from 'node:http';
import { PerRequestHTTPServerTransport, type JSONRPCMessage, type RequestId, type TransportSendOptions } from '@modelcontextprotocol/server';
import { SessionTransport, type ResponseHandlers } from './session-transport.js';

/**
 * The transport of one principal's long-lived 2026-07-28 server (modern-servers.ts): many
 * stateless HTTP requests, each answered on its own response, over one connected server, as
 * the SDK's stdio entry serves a whole connection from one instance. It pairs answers and
 * progress with askers exactly as a 2025 session's transport does (SessionTransport, with no
 * session id: the SDK then gives handlers none), and it is the SDK's per-request transport
 * only in type: connecting a server to a transport of that class that names a 2026-07-28
 * revision binds the server to that revision, the one public way to serve that era from an
 * instance of one's own. None of the base class's single-exchange behaviour is used.
 */
export class ModernChannel extends PerRequestHTTPServerTransport {
  readonly #requests = new SessionTransport('');

  constructor(revision: string) {
    super({ classification: { era: 'modern', revision } });
    this.#requests.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.#requests.onclose = () => this.onclose?.();
  }

  /** True while a request waits for its answer: such a channel's server is never retired. */
  get busy(): boolean {
    return this.#requests.busy;
  }

  override async start(): Promise<void> {
    // nothing to open: requests arrive through deliver()
  }

  override handleMessage(): Promise<Response> {
    return Promise.reject(new Error('a long-lived 2026-07-28 channel takes requests through deliver()'));
  }

  /**
   * Hands one request to the server, `handlers` taking what it sends for it; false when a
   * request with the same id is still waiting here (the caller serves it another way).
   */
  deliver(message: JSONRPCMessage, handlers: ResponseHandlers, req: IncomingMessage): boolean {
    return this.#requests.deliver(message, handlers, req);
  }

  /** The client went away: the request is cancelled as notifications/cancelled would (SessionTransport.cancel). */
  cancel(id: RequestId, handlers: ResponseHandlers): void {
    this.#requests.cancel(id, handlers);
  }

  override send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.#requests.send(message, options);
  }

  override close(): Promise<void> {
    return this.#requests.close();
  }
}
