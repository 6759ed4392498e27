import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCRequest, McpServer } from '@modelcontextprotocol/server';
import type { Principal } from '../../auth/identity/principal.js';
import { whenClientGone } from './client-gone.js';
import { ModernChannel } from './modern-channel.js';
import { requestResponse } from './response-stream.js';

/** A server no request has used for this long is closed (a principal that comes back gets a new one). */
const IDLE_MS = 5 * 60_000;

interface Entry {
  readonly server: McpServer;
  readonly channel: ModernChannel;
  /** True once the server is connected to its channel (no request is delivered before), false if it could not be. */
  readonly connected: Promise<boolean>;
  lastUsed: number;
}

/**
 * One long-lived server per principal for the 2026-07-28 tool calls that need nothing of the
 * SDK's per-request entry beyond dispatch (modern-exchange.ts decides which): built once for
 * the principal, as a session's is, and bound to the revision; each call is answered on its
 * own response. A server is only ever given its own principal's calls: the key is everything
 * a Principal holds (id, kind, role, scopes), and what a request sends (`_meta`, headers) is
 * never part of it. Client identity is read per request by the SDK on this era (the request's
 * own envelope), never kept on the server, so calls from different clients of one principal
 * share nothing but the server's tools.
 */
export class ModernServers {
  readonly #servers = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly revision: string,
    /** How many principals keep a server at once; the least recently used idle one goes first. */
    private readonly maxServers: number,
    private readonly createServer: (principal: Principal) => McpServer,
  ) {
    this.#sweeper = setInterval(() => this.sweep(Date.now() - IDLE_MS), Math.min(IDLE_MS, 60_000));
    this.#sweeper.unref();
  }

  /** Servers alive now (tests). */
  get size(): number {
    return this.#servers.size;
  }

  /**
   * Serves one tools/call on the principal's server and writes its answer to `res` when it
   * comes; false when it was not taken (a request with the same id is waiting on that
   * server, the tool declares headers the SDK's entry checks, or no room for a server), so
   * the caller serves it the per-request way. Nothing has been written to `res` then.
   */
  async serve(req: IncomingMessage, res: ServerResponse, principal: Principal, message: JSONRPCRequest, tool: string): Promise<boolean> {
    const entry = await this.entryFor(principal);
    if (entry === undefined || entry.server.toolInputSchemaJson(tool) !== undefined) return false;
    const response = requestResponse(req, res, undefined);
    if (!entry.channel.deliver(message, response.handlers, req)) return false;
    entry.lastUsed = Date.now();
    // The statement stops when the client leaves; its answer, should one still come, is dropped.
    whenClientGone(req, res, () => {
      if (!response.answered()) entry.channel.cancel(message.id, response.handlers);
    });
    return true;
  }

  private async entryFor(principal: Principal): Promise<Entry | undefined> {
    if (this.#closed) return undefined;
    const key = principalKey(principal);
    const known = this.#servers.get(key);
    if (known !== undefined) {
      // Most recently used last, so the map's order is the eviction order.
      this.#servers.delete(key);
      this.#servers.set(key, known);
      return (await known.connected) ? known : undefined;
    }
    if (this.#servers.size >= this.maxServers && !this.evictOne()) return undefined;
    const server = this.createServer(principal);
    const channel = new ModernChannel(this.revision);
    const connected = server.connect(channel).then(
      () => true,
      () => {
        if (this.#servers.get(key) === entry) this.#servers.delete(key);
        return false;
      },
    );
    const entry: Entry = { server, channel, connected, lastUsed: Date.now() };
    this.#servers.set(key, entry);
    return (await connected) ? entry : undefined;
  }

  /** Closes the least recently used server with nothing in flight; false when every one is busy. */
  private evictOne(): boolean {
    for (const [key, entry] of this.#servers) {
      if (entry.channel.busy) continue;
      this.#servers.delete(key);
      void entry.server.close().catch(() => undefined);
      return true;
    }
    return false;
  }

  /** Closes the servers last used before `before` that have nothing in flight. */
  sweep(before: number): void {
    for (const [key, entry] of this.#servers) {
      if (entry.lastUsed >= before || entry.channel.busy) continue;
      this.#servers.delete(key);
      void entry.server.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const open = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(open.map((entry) => entry.server.close().catch(() => undefined)));
  }
}

/** Everything a principal is, as one string: two principals share a server only if they are the same in every field. */
function principalKey(principal: Principal): string {
  return JSON.stringify([principal.kind, principal.id, principal.role, principal.scopes]);
}
