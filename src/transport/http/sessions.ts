import { randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Principal } from '../../auth/identity/principal.js';
import { SessionTransport } from './session-transport.js';

export interface Session {
  readonly transport: SessionTransport;
  readonly server: McpServer;
  readonly principal: Principal;
  lastSeen: number;
}

export interface SessionTableOptions {
  /** Builds the MCP server of a new session. */
  createSession: (principal: Principal) => McpServer;
  maxSessions: number;
  idleTimeoutMs: number;
}

/**
 * The open MCP sessions of one listener, each bound to the principal that opened it.
 * Ids are 128 random bits; a session ends when its client deletes it, when its server
 * closes, or after `idleTimeoutMs` without a request (see sweep).
 */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionTableOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /** True when no session can be opened until one ends. */
  get full(): boolean {
    return this.sessions.size >= this.options.maxSessions;
  }

  /**
   * The session an Mcp-Session-Id header names, when it is `principal`'s. A session id
   * is not a credential: another principal's id is as unknown as a made-up one.
   */
  find(sessionId: string | string[] | undefined, principal: Principal): Session | undefined {
    const session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
    return session === undefined || !samePrincipal(session.principal, principal) ? undefined : session;
  }

  async open(principal: Principal): Promise<Session> {
    const id = randomBytes(16).toString('base64url');
    const transport = new SessionTransport(id);
    const server = this.options.createSession(principal);
    const session: Session = { transport, server, principal, lastSeen: Date.now() };
    transport.onclose = () => {
      this.sessions.delete(id);
    };
    await server.connect(transport);
    this.sessions.set(id, session);
    return session;
  }

  /** Ends a session its client deleted. */
  async remove(session: Session): Promise<void> {
    await session.server.close();
    this.sessions.delete(session.transport.sessionId);
  }

  /** Closes the sessions idle for longer than the timeout; each leaves the table as its transport closes. */
  sweep(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (const session of this.sessions.values()) {
      if (session.lastSeen < cutoff) void session.server.close();
    }
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((s) => s.server.close()));
    this.sessions.clear();
  }
}

/**
 * The same caller with the same powers: a session's tools were built for the role and
 * scopes of the principal that opened it, so a credential of the same subject with another
 * role or other scopes (a reader token for a writer's session) is another principal here.
 */
function samePrincipal(a: Principal, b: Principal): boolean {
  if (a.id !== b.id || a.kind !== b.kind || a.role !== b.role || a.scopes.length !== b.scopes.length) return false;
  const scopes = new Set(a.scopes);
  return b.scopes.every((scope) => scopes.has(scope));
}
