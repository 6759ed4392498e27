/**
 * The HTTP session table keeps one principal from locking the others out. The attack:
 * one credential opens sessions until the listener is full (1,000 by default), and every
 * later `initialize` from anyone is refused. What must hold: a principal never holds more
 * than its cap; at the cap its own least recently used idle session is closed to make
 * room (never one with a request in flight, never another principal's); with the table
 * full, a newcomer gets the idle slot of whoever holds the most sessions, and nobody
 * loses their only session.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/identity/principal.js';
import type { SessionTransport } from '../../src/transport/http/session-transport.js';
import { SessionTable, type OpenOutcome, type Session } from '../../src/transport/http/sessions.js';

const alice: Principal = { id: 'jwt:t#alice', kind: 'jwt', role: 'reader', scopes: [] };
const bob: Principal = { id: 'jwt:t#bob', kind: 'jwt', role: 'reader', scopes: [] };
const carol: Principal = { id: 'jwt:t#carol', kind: 'jwt', role: 'reader', scopes: [] };

/** Just what the table uses of an McpServer: connect a transport, close it. */
function fakeServer(): McpServer {
  let transport: SessionTransport | undefined;
  return {
    connect: async (t: SessionTransport) => {
      transport = t;
      await t.start();
    },
    close: async () => transport?.close(),
  } as unknown as McpServer;
}

function table(maxSessions: number, maxSessionsPerPrincipal: number): SessionTable {
  return new SessionTable({ createSession: fakeServer, maxSessions, maxSessionsPerPrincipal, idleTimeoutMs: 600_000 });
}

function opened(outcome: OpenOutcome): Session {
  if ('refused' in outcome) throw new Error(`refused: ${outcome.refused}`);
  return outcome.session;
}

/** Opens `n` sessions for `principal`, each seen one millisecond after the one before. */
async function openMany(t: SessionTable, principal: Principal, n: number): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let i = 0; i < n; i++) {
    const session = opened(await t.open(principal));
    session.lastSeen = 1_000 + sessions.length + t.size;
    sessions.push(session);
  }
  return sessions;
}

/** A request waiting for its answer: the session is busy until it comes. */
function makeBusy(session: Session, id = 1): void {
  session.transport.deliver({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'query', arguments: {} } }, { reply: () => undefined });
}

const ids = (t: SessionTable, principal: Principal, sessions: Session[]): boolean[] => sessions.map((s) => t.find(s.transport.sessionId, principal) !== undefined);

describe('SessionTable: per-principal cap', () => {
  it('at its cap, a principal that opens one more loses its own least recently used idle session, and holds no more than the cap', async () => {
    const t = table(100, 3);
    const [a, b, c] = await openMany(t, alice, 3);
    b!.lastSeen = 1; // b is the least recently used
    const more = await t.open(alice);
    expect('refused' in more).toBe(false);
    if (!('refused' in more)) expect(more.reclaimed).toBe(b);
    expect(ids(t, alice, [a!, b!, c!])).toEqual([true, false, true]);
    expect(t.size).toBe(3);
  });

  it('never reclaims a session with a request in flight: the oldest idle one goes instead', async () => {
    const t = table(100, 2);
    const [a, b] = await openMany(t, alice, 2);
    a!.lastSeen = 1;
    makeBusy(a!);
    opened(await t.open(alice));
    expect(ids(t, alice, [a!, b!])).toEqual([true, false]);
  });

  it('with every session of the principal busy, refuses the new one (principal_cap) and another principal still opens', async () => {
    const t = table(100, 2);
    const mine = await openMany(t, alice, 2);
    mine.forEach((s) => makeBusy(s));
    expect(await t.open(alice)).toEqual({ refused: 'principal_cap' });
    expect(ids(t, alice, mine)).toEqual([true, true]);
    const theirs = opened(await t.open(bob));
    expect(t.find(theirs.transport.sessionId, bob)).toBe(theirs);
  });

  it('counts one identity once, whatever role its credentials carry', async () => {
    const t = table(100, 2);
    await openMany(t, alice, 2);
    opened(await t.open({ ...alice, role: 'admin' }));
    expect(t.size).toBe(2);
  });

  it('concurrent opens of one principal never push it past its cap', async () => {
    const t = table(100, 3);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => t.open(alice)));
    expect(outcomes.every((o) => !('refused' in o))).toBe(true);
    expect(t.size).toBe(3);
  });
});

describe('SessionTable: full table', () => {
  it("a newcomer takes the least recently used idle session of whoever holds the most; a single session is never taken", async () => {
    const t = table(4, 10);
    const aliceSessions = await openMany(t, alice, 3);
    const [bobs] = await openMany(t, bob, 1);
    const carols = opened(await t.open(carol));
    expect(t.find(carols.transport.sessionId, carol)).toBe(carols);
    expect(ids(t, alice, aliceSessions)).toEqual([false, true, true]);
    expect(ids(t, bob, [bobs!])).toEqual([true]);
    expect(t.size).toBe(4);
  });

  it('refuses (table_full) when nobody holding several sessions has an idle one, and takes nothing', async () => {
    const t = table(3, 10);
    const aliceSessions = await openMany(t, alice, 2);
    aliceSessions.forEach((s, i) => makeBusy(s, i + 1));
    const [bobs] = await openMany(t, bob, 1);
    expect(await t.open(carol)).toEqual({ refused: 'table_full' });
    expect([...ids(t, alice, aliceSessions), ...ids(t, bob, [bobs!])]).toEqual([true, true, true]);
  });
});
