/**
 * MCP 2026-07-28 beside the 2025 revisions, end to end on the built binary: the SDK v2
 * client pinned to 2026-07-28 discovers, lists tools and queries over stdio and over
 * HTTP with an API key, while a 2025-era client (SDK v1) does the same in the same run.
 * Stateless requests keep every security property: each authenticates on its own,
 * nothing in `_meta` widens what the credential allows, Mcp-Method/Mcp-Name must match
 * the body, and an unsupported revision is refused naming the supported ones.
 */
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_PROTOCOL_VERSIONS } from '../../src/transport/http/modern-exchange.js';
import { BIN, cleanEnv, cleanup, demoConfigWithJwt, dirWithConfig, rawRequest, runCli, spawnBastion, startHttp, startStdio, stateHomeFor, type HttpBastion } from '../helpers/spawn.js';

const MODERN = '2026-07-28';
const CONFIG = ['sources:', '  demo:', '    engine: pglite', 'state:', '  dir: ./state', 'roles:', '  analyst:', '    tools: [list_*, query]', ''].join('\n');
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

function pinnedClient(): Client {
  return new Client({ name: 'era-e2e', version: '1' }, { versionNegotiation: { mode: { pin: MODERN } } });
}

/** The rows of a successful query result, from either SDK's client. */
function rowsOf(result: { isError?: boolean; structuredContent?: unknown }): unknown[][] {
  expect(result.isError).toBeFalsy();
  return (result.structuredContent as { rows: unknown[][] }).rows;
}

function errorText(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** One raw 2026-07-28 POST: the envelope in `_meta`, the protocol headers matching the body unless `headers` says otherwise. */
async function modernPost(
  url: string,
  body: { id: number; method: string; params?: Record<string, unknown>; meta?: Record<string, unknown> },
  headers: Record<string, string | undefined> = {},
): Promise<{ status: number; json: Record<string, unknown> & { result?: Record<string, unknown>; error?: { code: number; data?: Record<string, unknown> } } }> {
  const name = body.method === 'tools/call' ? (body.params?.['name'] as string | undefined) : undefined;
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': body.method,
    ...(name === undefined ? {} : { 'mcp-name': name }),
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  const params = { ...body.params, _meta: { ...ENVELOPE, ...body.meta } };
  const res = await rawRequest(url, { method: 'POST', headers: sent, body: JSON.stringify({ jsonrpc: '2.0', id: body.id, method: body.method, params }) });
  return { status: res.status, json: JSON.parse(res.body) as never };
}

afterAll(cleanup);

describe('MCP 2026-07-28 over stdio', () => {
  const cwd = dirWithConfig(CONFIG);

  it('a pinned SDK v2 client discovers, lists tools and queries; a 2025 client in the same run gets the same tools and rows', async () => {
    const client = pinnedClient();
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve'], cwd, env: cleanEnv({ XDG_STATE_HOME: stateHomeFor(cwd) }), stderr: 'pipe' }),
    );
    const legacy = await startStdio([], { cwd });
    try {
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      expect(client.getDiscoverResult()?.supportedVersions).toEqual([...MODERN_PROTOCOL_VERSIONS]);

      const modernTools = (await client.listTools()).tools.map((t) => t.name);
      const legacyTools = (await legacy.client.listTools()).tools.map((t) => t.name);
      expect(modernTools).toEqual(legacyTools);
      expect(modernTools).toContain('query');

      const sql = 'SELECT count(*)::int AS n FROM shop.customers';
      const modern = await client.callTool({ name: 'query', arguments: { sql } });
      const old = (await legacy.client.callTool({ name: 'query', arguments: { sql } })) as CallToolResult;
      expect(rowsOf(modern)).toEqual(rowsOf(old));
      expect((rowsOf(modern)[0] as number[])[0]).toBeGreaterThan(0);
    } finally {
      await client.close();
      await legacy.close();
    }
  });

  it('a request naming an unsupported revision gets UnsupportedProtocolVersion listing 2026-07-28, and the connection still serves a supported one', async () => {
    const child = spawnBastion(['serve'], { cwd });
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
        buffered = buffered.slice(nl + 1);
      }
    });
    const send = (message: unknown): void => void child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } });
    await expect.poll(() => lines.length, { timeout: 15_000 }).toBe(1);
    expect(lines[0]).toMatchObject({ id: 1, error: { code: -32022, data: { supported: [MODERN], requested: '2099-01-01' } } });
    expect(lines[0]).not.toHaveProperty('result');

    send({ jsonrpc: '2.0', id: 2, method: 'server/discover', params: { _meta: ENVELOPE } });
    await expect.poll(() => lines.length, { timeout: 15_000 }).toBe(2);
    expect(lines[1]).toMatchObject({ id: 2, result: { supportedVersions: [MODERN] } });
    child.stdin.end();
  });
});

describe('MCP 2026-07-28 over HTTP with API keys and JWTs', () => {
  const ENV = { BASTION_TEST_JWT_SECRET: 'test-only-secret-0123456789abcdef0123456789' };
  const cwd = dirWithConfig(
    demoConfigWithJwt('bastion-test', { auth: ['  tool_scopes:', '    query: bastion:query'], extra: ['roles:', '  analyst:', '    tools: [list_*, query]'] }),
  );
  let server: HttpBastion;
  let analyst = '';
  let admin = '';

  async function createKey(role: string): Promise<string> {
    const run = await runCli(['keys', 'create', '--name', `k-${role}`, '--role', role], { cwd, env: ENV });
    expect(run.code, run.stderr).toBe(0);
    return run.stdout.trim();
  }

  beforeAll(async () => {
    analyst = await createKey('analyst');
    admin = await createKey('admin');
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('a pinned SDK v2 client discovers, lists tools and queries; a 2025 client with the same key still opens a session and queries', async () => {
    const auth = { requestInit: { headers: { authorization: `Bearer ${analyst}` } } };
    const client = pinnedClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), auth));
    const legacy = new LegacyClient({ name: 'era-e2e-2025', version: '1' });
    await legacy.connect(new LegacyHttpTransport(new URL(server.url), auth));
    try {
      expect(client.getProtocolEra()).toBe('modern');
      expect(client.getDiscoverResult()?.supportedVersions).toEqual([...MODERN_PROTOCOL_VERSIONS]);
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(['list_sources', 'list_schemas', 'list_tables', 'query']);
      expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(tools);

      const sql = 'SELECT count(*)::int AS n FROM shop.customers';
      const modern = await client.callTool({ name: 'query', arguments: { sql } });
      expect(modern.isError, errorText(modern)).toBeFalsy();
      expect(rowsOf(modern)).toEqual(rowsOf((await legacy.callTool({ name: 'query', arguments: { sql } })) as CallToolResult));
    } finally {
      await client.close();
      await legacy.close();
    }
  });

  it('a tool list is private to the principal, cacheable for a minute, and in the same order every time', async () => {
    const auth = { authorization: `Bearer ${analyst}` };
    const first = await modernPost(server.url, { id: 1, method: 'tools/list' }, auth);
    const second = await modernPost(server.url, { id: 2, method: 'tools/list' }, auth);
    expect(first.status).toBe(200);
    expect(first.json.result).toMatchObject({ cacheScope: 'private', ttlMs: 60_000 });
    const names = (r: typeof first): string[] => (r.json.result?.['tools'] as { name: string }[]).map((t) => t.name);
    expect(names(second)).toEqual(names(first));
    const adminList = await modernPost(server.url, { id: 3, method: 'tools/list' }, { authorization: `Bearer ${admin}` });
    expect(names(adminList)).toContain('describe_table');
    expect(names(first)).not.toContain('describe_table');
  });

  it('every request authenticates on its own: after a served request, one without or with a wrong credential gets 401 and no result', async () => {
    const call = { id: 4, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT 1 AS one' } } };
    expect((await modernPost(server.url, call, { authorization: `Bearer ${analyst}` })).json.result).toBeDefined();
    const none = await modernPost(server.url, call);
    expect(none.status).toBe(401);
    expect(none.json).not.toHaveProperty('result');
    const wrong = await modernPost(server.url, call, { authorization: `Bearer ${analyst.slice(0, -4)}AAAA` });
    expect(wrong.status).toBe(401);
    expect(wrong.json).not.toHaveProperty('result');
  });

  it('_meta cannot widen a credential: an admin key, a role or a principal named there leaves the analyst an analyst', async () => {
    const widen = { authorization: `Bearer ${admin}`, 'bastion/role': 'admin', role: 'admin', principal: 'local', 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
    const auth = { authorization: `Bearer ${analyst}` };
    const list = await modernPost(server.url, { id: 5, method: 'tools/list', meta: widen }, auth);
    expect((list.json.result?.['tools'] as { name: string }[]).map((t) => t.name)).toEqual(['list_sources', 'list_schemas', 'list_tables', 'query']);

    const describeCall = { id: 6, method: 'tools/call', params: { name: 'describe_table', arguments: { table: 'shop.customers' } }, meta: widen };
    const refused = (await modernPost(server.url, describeCall, auth)).json.result as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(errorText(refused)).toMatch(/^TOOL_NOT_ALLOWED:/);
    expect(JSON.stringify(refused)).not.toContain('"columns"');
    // The same call with the admin key in the header, where a credential belongs, is served.
    const served = (await modernPost(server.url, describeCall, { authorization: `Bearer ${admin}` })).json.result as CallToolResult;
    expect(served.isError, errorText(served)).toBeFalsy();
  });

  it('a JWT without the scope its tool needs gets 403 insufficient_scope and no rows; with the scope the call is served', async () => {
    const issue = async (scope?: string): Promise<string> => {
      const run = await runCli(['token', 'issue', '--sub', 'dana', '--role', 'reader', '--ttl', '1h', ...(scope === undefined ? [] : ['--scope', scope])], { cwd, env: ENV });
      expect(run.code, run.stderr).toBe(0);
      return run.stdout.trim();
    };
    const call = { id: 11, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT 515151 AS marker' } } };
    const refused = await modernPost(server.url, call, { authorization: `Bearer ${await issue()}` });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.json)).not.toContain('515151]');
    const served = await modernPost(server.url, call, { authorization: `Bearer ${await issue('bastion:query')}` });
    expect(served.status).toBe(200);
    expect(rowsOf(served.json.result as CallToolResult)).toEqual([[515151]]);
  });

  it('an Mcp-Method or Mcp-Name header that disagrees with the body gets HeaderMismatch, and nothing runs', async () => {
    const auth = { authorization: `Bearer ${analyst}` };
    const method = await modernPost(server.url, { id: 7, method: 'tools/list' }, { ...auth, 'mcp-method': 'tools/call' });
    expect(method.status).toBe(400);
    expect(method.json.error?.code).toBe(-32020);
    expect(method.json).not.toHaveProperty('result');

    const call = { id: 8, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT 424242 AS marker' } } };
    const name = await modernPost(server.url, call, { ...auth, 'mcp-name': 'list_sources' });
    expect(name.status).toBe(400);
    expect(name.json.error?.code).toBe(-32020);
    expect(JSON.stringify(name.json)).not.toContain('424242,');
    expect(name.json).not.toHaveProperty('result');
  });

  it('an unsupported revision, in the envelope or in the header, gets UnsupportedProtocolVersion naming the supported ones', async () => {
    const auth = { authorization: `Bearer ${analyst}` };
    const inBody = await modernPost(server.url, { id: 9, method: 'tools/list', meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } }, { ...auth, 'mcp-protocol-version': undefined });
    expect(inBody.status).toBe(400);
    expect(inBody.json.error).toMatchObject({ code: -32022, data: { supported: [MODERN], requested: '2099-01-01' } });
    expect(inBody.json).not.toHaveProperty('result');

    const inHeader = await modernPost(server.url, { id: 10, method: 'tools/list' }, { ...auth, 'mcp-protocol-version': '2099-01-01' });
    expect(inHeader.status).toBe(400);
    expect(inHeader.json.error?.code).toBe(-32022);
    expect(inHeader.json.error?.data?.['supported']).toEqual(expect.arrayContaining([MODERN, '2025-11-25', '2025-06-18']));
    expect(inHeader.json).not.toHaveProperty('result');
  });
});
