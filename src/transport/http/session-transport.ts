import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';

type Reply = (message: JSONRPCMessage) => void;

/**
 * A Streamable HTTP session's side of the SDK Transport interface, answering each
 * POSTed request with one JSON response (the spec's application/json mode). The
 * HTTP server parses and guards the request; this only pairs answers with askers.
 */
export class SessionTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;
  private readonly waiting = new Map<RequestId, Reply>();
  private closed = false;

  constructor(readonly sessionId: string) {}

  async start(): Promise<void> {
    // nothing to open: requests arrive through deliver()
  }

  /** Hands a client message to the server; `reply` receives the response to a request. */
  deliver(message: JSONRPCMessage, reply: Reply | undefined): boolean {
    if (this.closed) return false;
    const id = 'id' in message ? message.id : undefined;
    if (reply !== undefined && id !== undefined) {
      if (this.waiting.has(id)) return false;
      this.waiting.set(id, reply);
    }
    this.onmessage?.(message);
    return true;
  }

  /** The client went away before its answer: forget the pending reply. */
  abandon(id: RequestId): void {
    this.waiting.delete(id);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const id = 'id' in message && !('method' in message) ? message.id : undefined;
    // Server notifications and server-to-client requests need a stream this mode does not keep open.
    if (id === undefined) return;
    const reply = this.waiting.get(id);
    if (reply === undefined) return;
    this.waiting.delete(id);
    reply(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiting.clear();
    this.onclose?.();
  }
}
