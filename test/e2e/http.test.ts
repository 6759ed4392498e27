/**
 * The built binary over Streamable HTTP: `bastion serve --http --no-auth --port 0`.
 * The SDK client proves the happy path; raw node:http requests (which send exactly
 * the headers given, Host included) prove each guard by the status it returns and
 * by its effect on sessions. All traffic goes to 127.0.0.1.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../helpers/bastion.js';
import { cleanup, dirWithConfig, makeTempDir, rawRequest, REPO_ROOT, startHttp, type HttpBastion, type RawResponse } from '../helpers/spawn.js';

const PROTOCOL_VERSION = '2025-06-18';
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function initializeBody(id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw-e2e', version: '1' } },
  });
}

function rpc(id: number, method: string, params?: Record<string, unknown>): string {
  return JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
}

/** A new session over raw HTTP: initialize, then the initialized notification. */
async function openSession(server: HttpBastion, headers: Record<string, string> = {}): Promise<string> {
  const init = await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: initializeBody() });
  expect(init.status).toBe(200);
  const id = init.headers['mcp-session-id'];
  expect(typeof id).toBe('string');
  const sessionId = id as string;
  const notified = await rawRequest(server.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(notified.status).toBe(202);
  return sessionId;
}

function inSession(server: HttpBastion, sessionId: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(server.url, {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION, ...headers },
    body,
  });
}

/** Runs `SELECT $1::int` in a session and returns the number it echoed, or the HTTP status on failure. */
async function echo(server: HttpBastion, sessionId: string, n: number): Promise<number | string> {
  const res = await inSession(server, sessionId, rpc(100 + n, 'tools/call', { name: 'query', arguments: { sql: 'SELECT $1::int AS n', params: [n] } }));
  if (res.status !== 200) return `HTTP ${res.status}`;
  const body = JSON.parse(res.body) as { result?: CallToolResult };
  return body.result ? (rowsOf(body.result)[0]?.[0] as number) : 'no result';
}

function nestedArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

describe('http e2e: built binary, --http --no-auth --port 0', () => {
  let server: HttpBastion;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startHttp([], { cwd: makeTempDir() });
  });

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await server?.stop();
    await cleanup();
  });

  async function sdkClient(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const client = new Client({ name: 'bastion-http-e2e', version: '1' });
    clients.push(client);
    const transport = new StreamableHTTPClientTransport(new URL(server.url));
    await client.connect(transport);
    return { client, transport };
  }

  it('reports a loopback URL on port != 0 in its start-up log line', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('the SDK Streamable HTTP client lists the six read tools and runs a parameterised query', async () => {
    const { client, transport } = await sdkClient();
    expect(transport.sessionId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['describe_table', 'explain', 'list_schemas', 'list_sources', 'list_tables', 'query']);
    const result = (await client.callTool({
      name: 'query',
      arguments: { sql: 'SELECT count(*)::int AS n FROM shop.orders WHERE id <= $1', params: [250] },
    })) as CallToolResult;
    expect(rowsOf(result)).toEqual([[250]]);
  });

  it.each(['evil.example', 'evil.example:80', 'localhost.evil.com', '127.0.0.1.nip.io'])(
    'a forged Host header (%s, DNS rebinding) gets 403 and no session id',
    async (host) => {
      const res = await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, host }, body: initializeBody() });
      expect(res.status).toBe(403);
      expect(res.headers['mcp-session-id']).toBeUndefined();
      expect(res.body).not.toContain('protocolVersion');
    },
  );

  it('a forged Host header is refused on /healthz too (the guard runs before routing)', async () => {
    const res = await rawRequest(`http://${server.hostPort}/healthz`, { headers: { host: 'evil.example' } });
    expect(res.status).toBe(403);
  });

  it.each(['https://evil.example', 'http://localhost.evil.com', 'null', 'file://'])(
    'an evil Origin (%s, cross-site browser request) gets 403 and no session id',
    async (origin) => {
      const res = await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, origin }, body: initializeBody() });
      expect(res.status).toBe(403);
      expect(res.headers['mcp-session-id']).toBeUndefined();
    },
  );

  it('a loopback Origin (http://localhost:3000) is accepted and opens a working session', async () => {
    const sessionId = await openSession(server, { origin: 'http://localhost:3000' });
    expect(await echo(server, sessionId, 7)).toBe(7);
  });

  it('a request with no Origin header (a non-browser client) is accepted', async () => {
    const sessionId = await openSession(server);
    expect(await echo(server, sessionId, 8)).toBe(8);
  });

  it('a body over 1 MiB gets 413, and the server still answers afterwards', async () => {
    const sessionId = await openSession(server);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'query', arguments: { sql: `SELECT '${'x'.repeat(1024 * 1024)}'` } } });
    const res = await inSession(server, sessionId, big);
    expect(res.status).toBe(413);
    expect(await echo(server, sessionId, 9)).toBe(9);
  });

  it('a chunked body (no Content-Length) over 1 MiB also gets 413, and the server still answers afterwards', async () => {
    const sessionId = await openSession(server);
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const res = await inSession(server, sessionId, big.toString(), { 'transfer-encoding': 'chunked' }).catch((error: Error) => error);
    // The server may close the connection before the client has sent everything; if a status came back it is 413.
    if (!(res instanceof Error)) expect(res.status).toBe(413);
    expect(await echo(server, sessionId, 10)).toBe(10);
  });

  it('JSON nested deeper than 64 gets 400 before parsing, and no session is opened', async () => {
    const deep = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    }).replace('"capabilities":{}', `"capabilities":{"x":${nestedArray(70)}}`);
    const res = await rawRequest(server.url, { method: 'POST', headers: JSON_HEADERS, body: deep });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/depth 64/);
    expect(res.headers['mcp-session-id']).toBeUndefined();
  });

  it('JSON nested exactly 64 deep passes the guard and 65 deep does not (a tool call in an open session)', async () => {
    const sessionId = await openSession(server);
    // message { params { arguments { extra: [...] } } }: three levels plus the array nesting.
    const nested = (arrays: number): string =>
      rpc(11, 'tools/call', { name: 'query', arguments: { sql: 'SELECT 1', extra: '@' } }).replace('"@"', nestedArray(arrays));
    const at64 = await inSession(server, sessionId, nested(61));
    expect(at64.status).toBe(200);
    expect(JSON.parse(at64.body)).toHaveProperty('result');
    const at65 = await inSession(server, sessionId, nested(62));
    expect(at65.status).toBe(400);
    expect(at65.body).toMatch(/depth 64/);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'a non-JSON content type (%s, what a browser form can send cross-site) gets 415',
    async (contentType) => {
      const res = await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, 'content-type': contentType }, body: initializeBody() });
      expect(res.status).toBe(415);
      expect(res.headers['mcp-session-id']).toBeUndefined();
    },
  );

  it('a POST without Mcp-Session-Id that is not initialize gets 400', async () => {
    const res = await rawRequest(server.url, { method: 'POST', headers: JSON_HEADERS, body: rpc(2, 'tools/list') });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: -32600 } });
  });

  it('a made-up Mcp-Session-Id gets 404', async () => {
    const res = await inSession(server, 'made-up-session-id-0000000000', rpc(3, 'tools/list'));
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('"tools"');
  });

  it('an unsupported MCP-Protocol-Version gets 400', async () => {
    const sessionId = await openSession(server);
    const res = await inSession(server, sessionId, rpc(4, 'tools/list'), { 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
  });

  it('invalid JSON gets 400 with a JSON-RPC parse error', async () => {
    const res = await rawRequest(server.url, { method: 'POST', headers: JSON_HEADERS, body: '{"jsonrpc":"2.0",' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: -32700 } });
  });

  it('a JSON-RPC batch (array) gets 400: one message per POST', async () => {
    const res = await rawRequest(server.url, { method: 'POST', headers: JSON_HEADERS, body: `[${initializeBody()}]` });
    expect(res.status).toBe(400);
    expect(res.headers['mcp-session-id']).toBeUndefined();
  });

  it('GET /mcp gets 405 with Allow: POST, DELETE, OPTIONS (no SSE stream is offered)', async () => {
    const res = await rawRequest(server.url, { method: 'GET', headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('POST, DELETE, OPTIONS');
  });

  it('/healthz returns exactly {"status":"ok"} and reveals no version, path or database', async () => {
    const res = await rawRequest(`http://${server.hostPort}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"status":"ok"}');
    const everything = `${JSON.stringify(res.headers)}${res.body}`;
    expect(everything).not.toMatch(/\d+\.\d+\.\d+/);
    expect(everything).not.toContain(REPO_ROOT);
    expect(everything.toLowerCase()).not.toMatch(/pglite|postgres|bastion|node|express/);
  });

  it('responses carry Cache-Control: no-store and X-Content-Type-Options: nosniff', async () => {
    const res = await rawRequest(`http://${server.hostPort}/healthz`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['/', '/mcp/', '/admin', '/healthz/../mcp2', '/.env'])('an unknown path (%s) gets 404', async (path) => {
    const res = await rawRequest(`http://${server.hostPort}${path}`, { method: 'POST', headers: JSON_HEADERS, body: initializeBody() });
    expect(res.status).toBe(404);
    expect(res.headers['mcp-session-id']).toBeUndefined();
  });

  it('DELETE with the session id ends the session: a later request with that id gets 404', async () => {
    const sessionId = await openSession(server);
    expect(await echo(server, sessionId, 12)).toBe(12);
    const del = await rawRequest(server.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(del.status).toBe(204);
    expect(await echo(server, sessionId, 13)).toBe('HTTP 404');
    const again = await rawRequest(server.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(again.status).toBe(404);
  });

  it('DELETE with a made-up session id gets 404', async () => {
    const res = await rawRequest(server.url, { method: 'DELETE', headers: { 'mcp-session-id': 'not-a-session' } });
    expect(res.status).toBe(404);
  });

  it('two sessions are independent: distinct ids, and closing one leaves the other working', async () => {
    const a = await openSession(server);
    const b = await openSession(server);
    expect(a).not.toBe(b);
    expect(await echo(server, a, 21)).toBe(21);
    expect(await echo(server, b, 22)).toBe(22);
    expect((await rawRequest(server.url, { method: 'DELETE', headers: { 'mcp-session-id': a } })).status).toBe(204);
    expect(await echo(server, a, 23)).toBe('HTTP 404');
    expect(await echo(server, b, 24)).toBe(24);
  });

  it('two SDK clients get their own sessions; terminating one leaves the other able to query', async () => {
    const first = await sdkClient();
    const second = await sdkClient();
    expect(first.transport.sessionId).toBeDefined();
    expect(first.transport.sessionId).not.toBe(second.transport.sessionId);
    await first.transport.terminateSession();
    const result = (await second.client.callTool({ name: 'query', arguments: { sql: 'SELECT 5 AS five' } })) as CallToolResult;
    expect(rowsOf(result)).toEqual([[5]]);
  });

  it('a session id works only as a header: the same request without it is refused', async () => {
    const sessionId = await openSession(server);
    const res = await rawRequest(`${server.url}?mcp-session-id=${sessionId}`, { method: 'POST', headers: JSON_HEADERS, body: rpc(30, 'tools/list') });
    expect(res.status).toBe(400);
  });

  it('stderr holds only JSON log lines and the server is still alive at the end', async () => {
    const lines = server.stderr().split('\n').filter((l) => l.trim().length > 0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(server.child.exitCode).toBeNull();
    const health = await rawRequest(`http://${server.hostPort}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('http e2e: refused requests never use up a session slot (server.http.max_sessions: 1)', () => {
  let server: HttpBastion;

  beforeAll(async () => {
    const dir = dirWithConfig(['server:', '  http:', '    max_sessions: 1', ''].join('\n'));
    server = await startHttp([], { cwd: dir });
  });

  afterAll(async () => {
    await server?.stop();
    await cleanup();
  });

  it('forged-Host, evil-Origin, wrong-type and too-deep initialize requests leave the one slot free; a second session then gets 503 until DELETE frees it', async () => {
    const refused = [
      await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, host: 'evil.example' }, body: initializeBody() }),
      await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, origin: 'https://evil.example' }, body: initializeBody() }),
      await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, 'content-type': 'text/plain' }, body: initializeBody() }),
      await rawRequest(server.url, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: initializeBody().replace('"capabilities":{}', `"capabilities":{"x":${nestedArray(65)}}`),
      }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 415, 400]);

    const first = await openSession(server);
    expect(await echo(server, first, 1)).toBe(1);
    const second = await rawRequest(server.url, { method: 'POST', headers: JSON_HEADERS, body: initializeBody(2) });
    expect(second.status).toBe(503);
    expect(second.headers['mcp-session-id']).toBeUndefined();

    expect((await rawRequest(server.url, { method: 'DELETE', headers: { 'mcp-session-id': first } })).status).toBe(204);
    const third = await openSession(server);
    expect(await echo(server, third, 3)).toBe(3);
  });
});
