import { randomBytes } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/server';
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
  /** Sessions one principal may hold at once; well under maxSessions, so no principal can fill the table. */
  maxSessionsPerPrincipal: number;
  idleTimeoutMs: number;
}

/**
 * What opening a session did: a new session, and the idle one it closed to make room (if
 * any); or a refusal. `principal_cap`: the principal holds its maximum and every one of
 * its sessions has a request in flight; `table_full`: the listener holds its maximum and
 * no principal with several sessions has an idle one to give back.
 */
export type OpenOutcome =
  | { readonly session: Session; readonly reclaimed: Session | undefined }
  | { readonly refused: 'principal_cap' | 'table_full' };

/**
 * The open MCP sessions of one listener, each bound to the principal that opened it.
 * Ids are 128 random bits; a session ends when its client deletes it, when its server
 * closes, after `idleTimeoutMs` without a request (see sweep), or when its principal opens
 * one more than its cap allows (its least recently used idle session is closed).
 */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionTableOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /**
   * The session an Mcp-Session-Id header names, when it is `principal`'s. A session id
   * is not a credential: another principal's id is as unknown as a made-up one.
   */
  find(sessionId: string | string[] | undefined, principal: Principal): Session | undefined {
    const session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
    return session === undefined || !samePrincipal(session.principal, principal) ? undefined : session;
  }

  /**
   * Opens a session for `principal` within both caps. At its own cap, the principal's least
   * recently used idle session makes room; with the table full, the least recently used idle
   * session of whoever holds the most sessions (and more than one) does. A newcomer is never
   * refused because another principal hoards sessions, and nobody loses their only session.
   */
  async open(principal: Principal): Promise<OpenOutcome> {
    const owner = ownerOf(principal);
    const own = [...this.sessions.values()].filter((s) => ownerOf(s.principal) === owner);
    let reclaimed: Session | undefined;
    if (own.length >= this.options.maxSessionsPerPrincipal) {
      reclaimed = leastRecentlyUsedIdle(own);
      if (reclaimed === undefined) return { refused: 'principal_cap' };
    } else if (this.sessions.size >= this.options.maxSessions) {
      reclaimed = leastRecentlyUsedIdle(this.largestHolding());
      if (reclaimed === undefined) return { refused: 'table_full' };
    }
    if (reclaimed !== undefined) this.end(reclaimed);

    const id = randomBytes(16).toString('base64url');
    const transport = new SessionTransport(id);
    const server = this.options.createSession(principal);
    const session: Session = { transport, server, principal, lastSeen: Date.now() };
    transport.onclose = () => {
      this.sessions.delete(id);
    };
    // In the table before the first await, so concurrent opens count each other against the caps.
    this.sessions.set(id, session);
    try {
      await server.connect(transport);
    } catch (error) {
      this.sessions.delete(id);
      throw error;
    }
    return { session, reclaimed };
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

  /** Leaves the table at once (its slot is free now) and closes in the background. */
  private end(session: Session): void {
    this.sessions.delete(session.transport.sessionId);
    void session.server.close().catch(() => undefined);
  }

  /** The sessions of the principal holding the most, when that is more than one. */
  private largestHolding(): Session[] {
    const byOwner = new Map<string, Session[]>();
    for (const session of this.sessions.values()) {
      const owner = ownerOf(session.principal);
      const list = byOwner.get(owner);
      if (list === undefined) byOwner.set(owner, [session]);
      else list.push(session);
    }
    let largest: Session[] = [];
    for (const list of byOwner.values()) if (list.length > largest.length) largest = list;
    return largest.length > 1 ? largest : [];
  }
}

/** Whose sessions count together against the per-principal cap: one identity, whatever role or scopes its credentials carry. */
function ownerOf(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/** The session seen longest ago among those with no request in flight. */
function leastRecentlyUsedIdle(sessions: readonly Session[]): Session | undefined {
  let found: Session | undefined;
  for (const session of sessions) {
    if (session.transport.busy) continue;
    if (found === undefined || session.lastSeen < found.lastSeen) found = session;
  }
  return found;
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
