/**
 * Identity and access over HTTP, end to end on the built binary: API keys made and
 * revoked with the CLI, JWTs issued by `bastion token issue`, sessions bound to
 * their principal, scopes, CORS, TLS and mTLS (failed-login throttling: http-throttle.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, demoConfigWithJwt, dirWithConfig, POLL, rawRequest, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

const JWT_SECRET = 'test-only-secret-0123456789abcdef0123456789';
const ENV = { BASTION_TEST_JWT_SECRET: JWT_SECRET };

function config(extra: string[] = []): string {
  return demoConfigWithJwt('bastion-test', {
    auth: ['  tool_scopes:', '    query: bastion:query'],
    extra: ['roles:', '  analyst:', '    tools: [list_*, query]', '    tables: { allow: ["shop.*"] }', ...extra],
  });
}

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let serverUrl = '';

/** Creates a key with the CLI and waits until the running server has loaded it (its store poll). */
async function createKey(cwd: string, role: string, name = `k-${role}`): Promise<string> {
  const run = await runCli(['keys', 'create', '--name', name, '--role', role], { cwd, env: ENV });
  expect(run.code, run.stderr).toBe(0);
  const key = run.stdout.trim();
  if (serverUrl !== '') {
    await expect.poll(async () => (await initialize(serverUrl, { authorization: `Bearer ${key}` })).status, { timeout: 5_000, interval: 100 }).toBe(200);
  }
  return key;
}

async function keyId(cwd: string, name: string): Promise<string> {
  const run = await runCli(['keys', 'list'], { cwd, env: ENV });
  const line = run.stdout.split('\n').find((l) => l.includes(name));
  const id = /\b(key_[A-Za-z0-9_-]+)/.exec(line ?? '')?.[1];
  if (id === undefined) throw new Error(`no id for ${name} in:\n${run.stdout}`);
  return id;
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'auth-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

async function initialize(url: string, headers: Record<string, string>): Promise<{ status: number; session?: string; body: string; headers: Record<string, unknown> }> {
  const res = await rawRequest(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(INIT) });
  const session = res.headers['mcp-session-id'];
  return { status: res.status, body: res.body, headers: res.headers, ...(typeof session === 'string' ? { session } : {}) };
}

function errorText(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

describe('HTTP with authentication required', () => {
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    cwd = dirWithConfig(config(['rate_limits:', '  auth_failures_per_minute: 1000']));
    server = await startHttp([], { cwd, env: ENV, auth: true });
    serverUrl = server.url;
  });
  afterAll(async () => {
    serverUrl = '';
    await cleanup();
  });

  it('a request without credentials gets 401 with a Bearer challenge that points to the resource metadata', async () => {
    const res = await initialize(server.url, {});
    expect(res.status).toBe(401);
    expect(res.session).toBeUndefined();
    const challenge = String(res.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="http://${server.hostPort}/.well-known/oauth-protected-resource/mcp"`);
  });

  it('serves the RFC 9728 protected-resource metadata', async () => {
    const res = await rawRequest(`http://${server.hostPort}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    const metadata = JSON.parse(res.body) as { resource: string; bearer_methods_supported: string[]; scopes_supported?: string[] };
    expect(metadata.resource).toBe(server.url);
    expect(metadata.bearer_methods_supported).toEqual(['header']);
    expect(metadata.scopes_supported).toEqual(['bastion:query']);
  });

  it('an API key made with the CLI opens a session limited to its role', async () => {
    const key = await createKey(cwd, 'analyst');
    expect(key).toMatch(/^ak_[A-Za-z0-9_-]{43}$/);
    const client = await connect(server.url, key);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(['list_schemas', 'list_sources', 'list_tables', 'query']);
      const ok = (await client.callTool({ name: 'query', arguments: { sql: 'SELECT count(*) FROM shop.orders' } })) as CallToolResult;
      expect(ok.isError).toBeFalsy();
      const denied = (await client.callTool({ name: 'query', arguments: { sql: 'SELECT * FROM hr.api_credentials' } })) as CallToolResult;
      expect(errorText(denied)).toMatch(/^TABLE_NOT_FOUND/);
      expect(JSON.stringify(denied)).not.toContain('sk_test_demo');
    } finally {
      await client.close();
    }
  });

  it('a wrong key of the same length is refused with invalid_token', async () => {
    const key = await createKey(cwd, 'reader');
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const forged = `${key.slice(0, -1)}${last}`;
    const res = await initialize(server.url, { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    expect(String(res.headers['www-authenticate'])).toContain('error="invalid_token"');
    expect(res.session).toBeUndefined();
    expect(res.body).not.toContain('"result"');
  });

  it('a credential in the query string is refused even next to a valid header', async () => {
    const key = await createKey(cwd, 'reader');
    const res = await rawRequest(`${server.url}?access_token=${key}`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${key}` },
      body: JSON.stringify(INIT),
    });
    expect(res.status).toBe(400);
    expect(res.headers['mcp-session-id']).toBeUndefined();
  });

  it('a key revoked with the CLI stops working on the running server within seconds', async () => {
    const key = await createKey(cwd, 'reader', 'to-revoke');
    const opened = await initialize(server.url, { authorization: `Bearer ${key}` });
    expect(opened.session).toBeDefined();
    const revoke = await runCli(['keys', 'revoke', await keyId(cwd, 'to-revoke')], { cwd, env: ENV });
    expect(revoke.code, revoke.stderr).toBe(0);
    await expect.poll(async () => (await initialize(server.url, { authorization: `Bearer ${key}` })).status, { timeout: 5_000, interval: 200 }).toBe(401);
    // the session opened before the revoke is dead too: nothing is listed through it
    const through = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${key}`, 'mcp-session-id': opened.session ?? '', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(through.status).toBe(401);
    expect(through.body).not.toContain('"tools"');
  });

  it("another principal's session id gets 404, and a session id alone authenticates nothing", async () => {
    const alice = await createKey(cwd, 'reader');
    const bob = await createKey(cwd, 'reader');
    const opened = await initialize(server.url, { authorization: `Bearer ${alice}` });
    expect(opened.session).toBeDefined();
    const session = opened.session ?? '';
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    const asBob = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${bob}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify(list),
    });
    expect(asBob.status).toBe(404);
    expect(asBob.body).not.toContain('"tools"');
    const bare = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify(list),
    });
    expect(bare.status).toBe(401);
    expect(bare.body).not.toContain('"tools"');
    const asAlice = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${alice}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify(list),
    });
    expect(asAlice.status).toBe(200);
  });

  it('a session opened with one role is not usable with a token of the same subject for another role or other scopes', async () => {
    const issue = async (role: string, scope?: string): Promise<string> => {
      const args = ['token', 'issue', '--sub', 'carol', '--role', role, '--ttl', '1h', ...(scope === undefined ? [] : ['--scope', scope])];
      const run = await runCli(args, { cwd, env: ENV });
      expect(run.code, run.stderr).toBe(0);
      return run.stdout.trim();
    };
    const strong = await issue('admin', 'bastion:query');
    const opened = await initialize(server.url, { authorization: `Bearer ${strong}` });
    const session = opened.session ?? '';
    expect(session).not.toBe('');
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const as = (token: string): ReturnType<typeof rawRequest> =>
      rawRequest(server.url, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
        body: list,
      });
    // Same subject, a weaker role: the admin session's tools stay out of reach.
    const weaker = await as(await issue('analyst', 'bastion:query'));
    expect(weaker.status).toBe(404);
    expect(weaker.body).not.toContain('"tools"');
    // Same subject and role, other scopes.
    const otherScopes = await as(await issue('admin'));
    expect(otherScopes.status).toBe(404);
    expect(otherScopes.body).not.toContain('"tools"');
    // The same credential's powers still reach it.
    expect((await as(await issue('admin', 'bastion:query'))).status).toBe(200);
  });

  it('a JWT from `bastion token issue` works, and a missing scope gets 403 insufficient_scope naming it', async () => {
    const withScope = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader', '--ttl', '1h', '--scope', 'bastion:query'], { cwd, env: ENV });
    expect(withScope.code, withScope.stderr).toBe(0);
    const client = await connect(server.url, withScope.stdout.trim());
    try {
      const ok = (await client.callTool({ name: 'query', arguments: { sql: 'SELECT 1 AS one' } })) as CallToolResult;
      expect(ok.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const noScope = (await runCli(['token', 'issue', '--sub', 'bob', '--role', 'reader', '--ttl', '1h'], { cwd, env: ENV })).stdout.trim();
    const opened = await initialize(server.url, { authorization: `Bearer ${noScope}` });
    expect(opened.status).toBe(200);
    const call = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${noScope}`, 'mcp-session-id': opened.session ?? '', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT 1' } } }),
    });
    expect(call.status).toBe(403);
    expect(call.body).not.toContain('"result"');
    expect(String(call.headers['www-authenticate'])).toContain('error="insufficient_scope"');
    expect(String(call.headers['www-authenticate'])).toContain('scope="bastion:query"');
  });

  it('an unsigned JWT (alg: none) is refused', async () => {
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'bastion-test', aud: 'bastion', sub: 'mallory', role: 'admin', iat: now, exp: now + 600 })}.`;
    const res = await initialize(server.url, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.session).toBeUndefined();
  });

  it('the server sends security headers and no banner', async () => {
    const res = await initialize(server.url, {});
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['server']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('HTTP: CORS only for configured origins', () => {
  afterAll(async () => cleanup());

  it('a configured origin gets its own origin back (never *); others get no CORS grant', async () => {
    const cwd = dirWithConfig(config(['server:', '  http:', '    allowed_origins: ["https://app.example.com"]']));
    const server = await startHttp([], { cwd, env: ENV, auth: true });
    const preflight = (origin: string) =>
      rawRequest(server.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const local = await preflight('http://localhost:3000');
    expect(local.status).toBe(403);
    expect(local.headers['access-control-allow-origin']).toBeUndefined();
    const evil = await preflight('https://evil.example');
    expect(evil.status).toBe(403);
  });
});

describe('HTTPS and mTLS', () => {
  let dir: string;
  let server: HttpBastion;

  function openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  }

  function leaf(name: string, cn: string, ext: string): void {
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  }

  beforeAll(async () => {
    dir = dirWithConfig(
      config([
        'server:',
        '  http:',
        '    tls:',
        '      cert_file: ./server.pem',
        '      key_file: ./server.key',
        '      client_ca_file: ./ca.pem',
        '      client_principals:',
        '        agent-1: { role: reader }',
      ]),
    );
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Bastion Test CA']);
    leaf('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('agent', 'agent-1', 'extendedKeyUsage=clientAuth\n');
    leaf('stranger', 'stranger', 'extendedKeyUsage=clientAuth\n');
    server = await startHttp([], { cwd: dir, env: ENV, auth: true });
  });
  afterAll(async () => cleanup());

  function post(client: 'agent' | 'stranger' | undefined): Promise<{ status: number; session: unknown }> {
    const url = new URL(server.url);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: JSON_HEADERS,
          ca: readFileSync(join(dir, 'ca.pem')),
          ...(client !== undefined ? { cert: readFileSync(join(dir, `${client}.pem`)), key: readFileSync(join(dir, `${client}.key`)) } : {}),
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, session: res.headers['mcp-session-id'] }));
        },
      );
      req.setTimeout(POLL.timeout, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(JSON.stringify(INIT));
    });
  }

  it('serves HTTPS and a mapped client certificate is a principal', async () => {
    expect(server.url.startsWith('https://')).toBe(true);
    const res = await post('agent');
    expect(res.status).toBe(200);
    expect(res.session).toBeDefined();
  });

  it('without a client certificate the TLS handshake is refused', async () => {
    await expect(post(undefined)).rejects.toThrow();
  });

  it('a valid certificate whose subject is not mapped to a role gets 403', async () => {
    const stranger = await post('stranger');
    expect(stranger.status).toBe(403);
    expect(stranger.session).toBeUndefined();
  });
});
