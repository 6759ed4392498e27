import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCRequest, McpServer } from '@modelcontextprotocol/server';
import type { Principal } from '../../auth/identity/principal.js';
import { whenClientGone } from './client-gone.js';
import { ModernChannel } from './modern-channel.js';
import { requestResponse } from './response-stream.js';

/** A server no request has used for this long is closed (a principal that comes back gets a new one). */
const IDLE_MS = 5 * 60_000;
/**
 * How many servers one principal may keep. A request id can wait on a server only once, and
 * clients commonly number their requests from 1, so several clients of one principal need a
 * server each for the ids they have in flight at once; past this, a call takes the
 * per-request way.
 */
const MAX_PER_PRINCIPAL = 16;

interface Entry {
  readonly server: McpServer;
  readonly channel: ModernChannel;
  /** True once the server is connected to its channel (no request is delivered before), false if it could not be. */
  readonly connected: Promise<boolean>;
  lastUsed: number;
}

/**
 * Long-lived servers for the 2026-07-28 tool calls that need nothing of the SDK's per-request
 * entry beyond dispatch (modern-exchange.ts decides which): built for a principal, as a
 * session's is, and bound to the revision; each call is answered on its own response. A server
 * is only ever given its own principal's calls: the key is everything a Principal holds (id,
 * kind, role, scopes), and what a request sends (`_meta`, headers) is never part of it. Client
 * identity is read per request by the SDK on this era (the request's own envelope), never kept
 * on the server, so calls from different clients of one principal share nothing but the tools.
 * A request's id is its own on the server that takes it: a call whose id is waiting on every
 * server of its principal goes to another, new one.
 */
export class ModernServers {
  /** Each principal's servers, least recently used principal first (the eviction order). */
  readonly #groups = new Map<string, Entry[]>();
  readonly #sweeper: NodeJS.Timeout;
  #count = 0;
  #closed = false;

  constructor(
    private readonly revision: string,
    /** How many servers are kept at once, for all principals; the least recently used idle one goes first. */
    private readonly maxServers: number,
    private readonly createServer: (principal: Principal) => McpServer,
  ) {
    this.#sweeper = setInterval(() => this.sweep(Date.now() - IDLE_MS), Math.min(IDLE_MS, 60_000));
    this.#sweeper.unref();
  }

  /** Servers alive now. */
  get size(): number {
    return this.#count;
  }

  /**
   * Serves one tools/call on a server of the principal and writes its answer to `res` when it
   * comes; false when it was not taken (the tool declares headers the SDK's entry checks, or
   * no server could take it), so the caller serves it the per-request way. Nothing has been
   * written to `res` then.
   */
  async serve(req: IncomingMessage, res: ServerResponse, principal: Principal, message: JSONRPCRequest, tool: string): Promise<boolean> {
    if (this.#closed) return false;
    const key = principalKey(principal);
    const group = this.#groups.get(key) ?? [];
    // Most recently used last.
    this.#groups.delete(key);
    this.#groups.set(key, group);
    const response = requestResponse(req, res, 'stateless');
    for (let n = 0; ; n++) {
      const entry = n < group.length ? group[n] : this.added(key, group, principal);
      if (entry === undefined) {
        if (group.length === 0 && this.#groups.get(key) === group) this.#groups.delete(key);
        return false;
      }
      if (!(await entry.connected)) continue;
      if (entry.server.toolInputSchemaJson(tool) !== undefined) return false;
      if (!entry.channel.deliver(message, response.handlers, req)) continue;
      entry.lastUsed = Date.now();
      // The statement stops when the client leaves; its answer, should one still come, is dropped.
      whenClientGone(req, res, () => {
        if (!response.answered()) entry.channel.cancel(message.id, response.handlers);
      });
      return true;
    }
  }

  /** A new server for the principal, within the caps; undefined when there is no room. */
  private added(key: string, group: Entry[], principal: Principal): Entry | undefined {
    if (this.#closed || group.length >= MAX_PER_PRINCIPAL) return undefined;
    if (this.#count >= this.maxServers && !this.evictOne(group)) return undefined;
    const server = this.createServer(principal);
    const channel = new ModernChannel(this.revision);
    const connected = server.connect(channel).then(
      () => true,
      () => {
        this.remove(key, entry);
        return false;
      },
    );
    const entry: Entry = { server, channel, connected, lastUsed: Date.now() };
    group.push(entry);
    this.#count++;
    if (!this.#groups.has(key)) this.#groups.set(key, group);
    return entry;
  }

  /** Closes the least recently used server with nothing in flight (never one of `keep`); false when every one is busy. */
  private evictOne(keep: Entry[]): boolean {
    for (const [key, group] of this.#groups) {
      if (group === keep) continue;
      const idle = group.find((entry) => !entry.channel.busy);
      if (idle === undefined) continue;
      this.remove(key, idle);
      return true;
    }
    return false;
  }

  private remove(key: string, entry: Entry): void {
    const group = this.#groups.get(key);
    const at = group?.indexOf(entry) ?? -1;
    if (group === undefined || at < 0) return;
    group.splice(at, 1);
    this.#count--;
    if (group.length === 0) this.#groups.delete(key);
    void entry.server.close().catch(() => undefined);
  }

  /** Closes the servers last used before `before` that have nothing in flight. */
  sweep(before: number): void {
    for (const [key, group] of [...this.#groups]) {
      for (const entry of [...group]) if (entry.lastUsed < before && !entry.channel.busy) this.remove(key, entry);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const open = [...this.#groups.values()].flat();
    this.#groups.clear();
    this.#count = 0;
    await Promise.all(open.map((entry) => entry.server.close().catch(() => undefined)));
  }
}

/** Everything a principal is, as one string: two principals share servers only if they are the same in every field. */
function principalKey(principal: Principal): string {
  return JSON.stringify([principal.kind, principal.id, principal.role, principal.scopes]);
}
