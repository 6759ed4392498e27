/**
 * A plain 2026-07-28 tools/call over HTTP is answered by its principal's long-lived server
 * (modern-servers.ts) instead of a server the SDK's per-request entry builds for it. That
 * shortcut must change nothing a client can see, and must never let one principal's call
 * reach another principal's server:
 * - every request below, plain or not, gets the same status, media type and answer from an
 *   exchange that keeps long-lived servers and from one that never does (maxLongLivedServers 0);
 *   what is not plain (a header that does not match, a Base64 Mcp-Name, a bad envelope, an
 *   unsupported revision) is answered by the SDK's entry on both;
 * - concurrent calls of two principals with the same request ids each get their own answer,
 *   decided by their own role, on their own server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeContext, contextFor } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import type { Principal, ServerContext } from '../../src/session/context.js';
import { isToolCall, readJsonRpcMessage } from '../../src/transport/http/json-rpc-request.js';
import { createModernExchange, type ModernExchange } from '../../src/transport/http/modern-exchange.js';
import { httpSessionServers } from '../../src/transport/http/start.js';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import { eventually } from '../helpers/eventually.js';
import { rawRequest } from '../helpers/spawn.js';

const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const PRINCIPALS: Record<string, Principal> = {
  alice: { id: 'key:alice', kind: 'api_key', role: 'admin', scopes: [] },
  bob: { id: 'key:bob', kind: 'api_key', role: 'analyst', scopes: [] },
};

let dir: string;
let ctx: ServerContext;
const exchanges: ModernExchange[] = [];
const servers: Server[] = [];
let longLivedUrl: string;
let perRequestUrl: string;

/** /mcp as the endpoint serves a 2026-07-28 POST once it is authenticated: the principal is named by a test header. */
async function serve(maxLongLivedServers: number | undefined): Promise<{ url: string; exchange: ModernExchange; server: Server }> {
  const exchange = createModernExchange({
    createServer: httpSessionServers(ctx),
    maxBodyBytes: 1 << 20,
    log: createLogger('silent'),
    maxLongLivedServers,
  });
  const server = createServer((req, res) => {
    // A request still running when the suite closes its exchanges has nobody to answer.
    void (async () => {
      const message = await readJsonRpcMessage(req, res, { maxBodyBytes: 1 << 20, maxJsonDepth: 64 });
      if (message === undefined) return;
      const principal = PRINCIPALS[String(req.headers['x-test-principal'])];
      if (principal === undefined) throw new Error('no principal');
      await exchange.serve(req, res, principal, message, { toolCallOnly: isToolCall(message) });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  exchanges.push(exchange);
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, exchange, server };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-long-lived-'));
  const config = configSchema.parse({
    sources: { demo: { engine: 'pglite' } },
    roles: { analyst: { tools: ['list_*', 'query'] } },
    rate_limits: { per_principal_per_minute: 1_000_000 },
    limits: { max_in_flight_per_principal: 32 },
    state: { dir },
    audit: { dir },
  });
  ctx = await contextFor(config, createLogger('silent'));
  longLivedUrl = (await serve(undefined)).url;
  perRequestUrl = (await serve(0)).url;
}, 60_000);

afterAll(async () => {
  for (const server of servers) server.close();
  for (const exchange of exchanges) await exchange.close();
  await closeContext(ctx);
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  readonly who: keyof typeof PRINCIPALS;
  readonly id?: number | string;
  readonly params: Record<string, unknown>;
  /** Header changes from the plain ones (undefined removes a header). */
  readonly headers?: Record<string, string | undefined>;
  readonly meta?: Record<string, unknown>;
}

async function post(url: string, c: Case): Promise<{ status: number; type: string | undefined; body: string; headers: Record<string, unknown> }> {
  const name = c.params['name'];
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': 'tools/call',
    ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    'x-test-principal': c.who,
    ...c.headers,
  };
  const headers = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  const params = { ...c.params, _meta: { ...ENVELOPE, ...c.meta } };
  const res = await rawRequest(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: c.id ?? 1, method: 'tools/call', params }) });
  return { status: res.status, type: res.headers['content-type'], body: res.body, headers: res.headers };
}

/** An answer with its random parts (correlation ids, timings, the untrusted-data markers) made equal. */
function comparable(answer: { status: number; type: string | undefined; body: string }): unknown {
  if (answer.type === 'text/event-stream') return comparableStream(answer);
  const body = answer.body
    .replace(/(correlation[ _]id\\?"?:?\s*\\?"?)[A-Za-z0-9_-]{12}/gi, '$1<id>')
    .replace(/("(?:duration|elapsed)_ms\\?":)[0-9.]+/g, '$1<ms>')
    .replace(/untrusted-data-[0-9a-f]{32}/g, 'untrusted-data-<nonce>');
  return { status: answer.status, type: answer.type, body: body.startsWith('{') ? (JSON.parse(body) as unknown) : body };
}

/** A stream: its headers and its last event (the answer); progress events are counted, not compared (they follow the clock). */
function comparableStream(answer: { status: number; body: string; headers?: Record<string, unknown> }): unknown {
  const events = answer.body.split('\n\n').filter((e) => e.startsWith('event: message\ndata: '));
  const last = events.at(-1)?.slice('event: message\ndata: '.length) ?? '';
  return {
    status: answer.status,
    cacheControl: answer.headers?.['cache-control'],
    buffering: answer.headers?.['x-accel-buffering'],
    // The client asks for `Connection: close` (no agent): a stream must not announce keep-alive on one path only.
    connection: answer.headers?.['connection'],
    progress: events.length > 1,
    answer: comparable({ status: answer.status, type: 'application/json', body: last }),
  };
}

/** A read that runs for a few seconds on the embedded database, sending progress every second. */
const SLOW_SQL = 'SELECT count(*) AS n FROM generate_series(1, 8000000)';

const query = (sql: string): Record<string, unknown> => ({ name: 'query', arguments: { source: 'demo', sql } });

const CASES: Record<string, Case> = {
  'a plain query': { who: 'alice', params: query('SELECT 1 AS one') },
  'a plain query, string id': { who: 'alice', id: 'abc', params: query("SELECT 'x' AS x") },
  'a query that fails in the database': { who: 'alice', params: query('SELECT * FROM no_such_table') },
  'a query the policy refuses': { who: 'alice', params: query('DELETE FROM shop.customers') },
  'an unknown tool': { who: 'alice', params: { name: 'nope', arguments: {} } },
  'arguments that fail the schema': { who: 'alice', params: { name: 'query', arguments: { sql: 5 } } },
  'no arguments': { who: 'alice', params: { name: 'query' } },
  'a tool outside the role': { who: 'bob', params: { name: 'execute', arguments: { source: 'demo', sql: 'DELETE FROM shop.customers' } } },
  'a listing tool of the role': { who: 'bob', params: { name: 'list_sources', arguments: {} } },
  'a progress token and trace context': {
    who: 'bob',
    params: query('SELECT 2 AS two'),
    meta: { progressToken: 'p1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  },
  'JSON with a charset': { who: 'alice', params: query('SELECT 3'), headers: { 'content-type': 'application/json; charset=utf-8' } },
  'Mcp-Name naming another tool': { who: 'alice', params: query('SELECT 1'), headers: { 'mcp-name': 'execute' } },
  'no Mcp-Name': { who: 'alice', params: query('SELECT 1'), headers: { 'mcp-name': undefined } },
  'Mcp-Name in Base64': { who: 'alice', params: query('SELECT 1'), headers: { 'mcp-name': `=?base64?${Buffer.from('query').toString('base64')}?=` } },
  'Mcp-Name with spaces around it': { who: 'alice', params: query('SELECT 1'), headers: { 'mcp-name': ' query ' } },
  'no MCP-Protocol-Version': { who: 'alice', params: query('SELECT 1'), headers: { 'mcp-protocol-version': undefined } },
  'Mcp-Method naming another method': { who: 'alice', params: query('SELECT 1'), headers: { 'mcp-method': 'tools/list' } },
  'an envelope without client info': { who: 'alice', params: query('SELECT 1'), meta: { 'io.modelcontextprotocol/clientInfo': undefined } },
  'an envelope naming another revision': { who: 'alice', params: query('SELECT 1'), meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } },
  'a tool name with a space': { who: 'alice', params: { name: 'my tool', arguments: {} } },
  'a tool name that is not a string': { who: 'alice', params: { name: 7, arguments: {} } },
  // Found by an attacker: the two paths streamed progress under different rules.
  'a long call with progress, from a client that accepts only JSON': {
    who: 'alice',
    params: query(SLOW_SQL),
    meta: { progressToken: 'slow' },
    headers: { accept: 'application/json' },
  },
};

describe('2026-07-28 tool calls on a long-lived server', () => {
  it.each(Object.keys(CASES))('%s: the same answer as the per-request path', async (name) => {
    const c = CASES[name] as Case;
    const perRequest = await post(perRequestUrl, c);
    const longLived = await post(longLivedUrl, c);
    expect(comparable(longLived)).toEqual(comparable(perRequest));
  });

  it('each call on a long-lived server is audited with a session id of its own, as on a server built per request (found by an attacker)', async () => {
    for (const n of [1, 2, 3]) expect((await post(longLivedUrl, { who: 'bob', params: query(`SELECT ${n} AS n`) })).status).toBe(200);
    const bobs = async (): Promise<Record<string, unknown>[]> => {
      const records = [...chainTexts(dir).values()].flatMap((text) => recordsOf(text));
      return records.filter((r) => (r['principal'] as { id?: string } | undefined)?.id === 'key:bob' && r['tool'] === 'query');
    };
    expect(await eventually(async () => (await bobs()).length >= 3)).toBe(true);
    const sessions = (await bobs()).map((r) => r['session']);
    expect(new Set(sessions).size).toBe(sessions.length);
  });

  it('plain calls were served by one long-lived server per principal, the others never', () => {
    expect(exchanges[0]?.longLivedServers).toBe(2);
    expect(exchanges[1]?.longLivedServers).toBe(0);
  });

  it('concurrent calls of two principals with the same ids each get their own answer, decided by their own role', async () => {
    const calls = Array.from({ length: 24 }, (_, i) => {
      const who = i % 2 === 0 ? 'alice' : 'bob';
      // Half the calls use a tool only alice's role has: bob's must be refused on his own server.
      const params =
        i % 4 < 2
          ? query(`SELECT '${who}-${i}' AS marker`)
          : { name: 'describe_table', arguments: { source: 'demo', table: 'shop.customers' } };
      return { who, i, params, answer: post(longLivedUrl, { who, id: i % 3, params }) } as const;
    });
    const answers = await Promise.all(calls.map((call) => call.answer));
    // Ids that wait at once on one principal's server are taken by another of its servers.
    expect(exchanges[0]?.longLivedServers).toBeGreaterThan(2);
    for (const [n, call] of calls.entries()) {
      const { status, body } = answers[n] as { status: number; body: string };
      expect(status, body).toBe(200);
      const json = JSON.parse(body) as { id: number; result: { isError?: boolean; structuredContent?: { rows?: unknown[][] }; content: { text: string }[] } };
      expect(json.id).toBe(call.i % 3);
      if (call.params['name'] === 'query') {
        expect(json.result.structuredContent?.rows, body).toEqual([[`${call.who}-${call.i}`]]);
      } else if (call.who === 'bob') {
        expect(json.result.isError, body).toBe(true);
        expect(json.result.content[0]?.text).toMatch(/^TOOL_NOT_ALLOWED/);
      } else {
        expect(json.result.isError, json.result.content[0]?.text).toBeFalsy();
      }
    }
  });

  // Last: the embedded database runs the cut-off statements to their end, holding up what follows.
  it('a call cut off by the server closing gets 499 on both paths (found by an attacker)', async () => {
    const cut = [await serve(undefined), await serve(0)];
    const statuses = await Promise.all(
      cut.map(async ({ url, exchange }) => {
        const answer = post(url, { who: 'alice', params: query(SLOW_SQL) });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await exchange.close();
        return (await answer).status;
      }),
    );
    expect(statuses).toEqual([499, 499]);
  });

  it('a streamed call cut off by the server closing ends its stream cleanly on both paths (found by an attacker)', async () => {
    const cut = [await serve(undefined), await serve(0)];
    const answers = await Promise.all(
      cut.map(async ({ url, exchange, server }) => {
        const answer = post(url, { who: 'alice', params: query(SLOW_SQL), meta: { progressToken: 'cut' } });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        // As the HTTP server closes: the exchange first, then every connection.
        await exchange.close();
        server.closeAllConnections();
        const { status, type, body } = await answer;
        return { status, type, progress: body.includes('notifications/progress') };
      }),
    );
    expect(answers).toEqual([
      { status: 200, type: 'text/event-stream', progress: true },
      { status: 200, type: 'text/event-stream', progress: true },
    ]);
  });
});
