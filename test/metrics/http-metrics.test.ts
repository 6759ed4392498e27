/**
 * Metrics and readiness on the built binary: /metrics behind authentication on the
 * main listener (admins only) or on a loopback listener of its own, counters that
 * move by exactly the calls made, and a /readyz that tells an anonymous caller
 * nothing about the sources behind it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { cleanup, dirWithConfig, parseLogLines, POLL, rawRequest, runCli, startHttp, startStdio, type HttpBastion } from '../helpers/spawn.js';

const DEMO = ['sources:', '  demo:', '    engine: pglite', 'state:', '  dir: ./state'];

/** The value of one sample in a Prometheus text exposition; 0 when the series does not exist yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) return Number(match[3]);
  }
  return 0;
}

async function createKey(cwd: string, role: string): Promise<string> {
  const run = await runCli(['keys', 'create', '--name', `k-${role}`, '--role', role], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'metrics-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

function errorCode(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? (first.text.split(/[:\s]/)[0] ?? '') : '';
}

afterAll(cleanup);

describe('metrics on the main listener', () => {
  let cwd: string;
  let server: HttpBastion;
  let admin: string;
  let reader: string;
  const metricsUrl = (): string => `http://${server.hostPort}/metrics`;
  const scrape = async (): Promise<string> => {
    const res = await rawRequest(metricsUrl(), { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    cwd = dirWithConfig(
      [...DEMO, 'metrics:', '  enabled: true', 'rate_limits:', '  auth_failures_per_minute: 1000', '  per_tool:', '    list_sources: 1', ''].join('\n'),
    );
    // Keys made before the start are loaded with the store.
    admin = await createKey(cwd, 'admin');
    reader = await createKey(cwd, 'reader');
    server = await startHttp([], { cwd, auth: true });
  });

  it('refuses /metrics without credentials with 401, and the body carries no metric', async () => {
    const res = await rawRequest(metricsUrl());
    expect(res.status).toBe(401);
    expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer /);
    expect(res.body).not.toContain('bastion_');
    expect(res.body).not.toContain('process_');
  });

  it('refuses /metrics to an authenticated principal that is not an admin', async () => {
    const res = await rawRequest(metricsUrl(), { headers: { authorization: `Bearer ${reader}` } });
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('bastion_');
  });

  it('serves Prometheus text to an admin, with process metrics', async () => {
    const res = await rawRequest(metricsUrl(), { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('# TYPE bastion_tool_calls_total counter');
    expect(res.body).toContain('# TYPE bastion_tool_call_duration_seconds histogram');
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('counts allowed, denied and rate-limited calls by exactly the calls made', async () => {
    const before = await scrape();
    const client = await connect(server.url, admin);
    try {
      for (let i = 0; i < 3; i++) {
        const ok = (await client.callTool({ name: 'query', arguments: { sql: 'SELECT 1 AS one' } })) as CallToolResult;
        expect(ok.isError).toBeFalsy();
      }
      for (let i = 0; i < 2; i++) {
        const denied = (await client.callTool({ name: 'query', arguments: { sql: 'DELETE FROM shop.orders' } })) as CallToolResult;
        expect(errorCode(denied)).toBe('SQL_NOT_READ_ONLY');
      }
      const first = (await client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult;
      expect(first.isError).toBeFalsy();
      const limited = (await client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult;
      expect(errorCode(limited)).toBe('RATE_LIMITED');
      expect(await client.callTool({ name: 'no_such_tool', arguments: {} })).toMatchObject({ isError: true });
      expect(await scrape()).toContain('bastion_sessions 1');
    } finally {
      await client.close();
    }
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>): number => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('bastion_tool_calls_total', { tool: 'query', outcome: 'ok' })).toBe(3);
    expect(delta('bastion_tool_calls_total', { tool: 'query', outcome: 'denied' })).toBe(2);
    expect(delta('bastion_tool_calls_total', { tool: 'query', outcome: 'error' })).toBe(0);
    expect(delta('bastion_tool_calls_total', { tool: 'list_sources', outcome: 'ok' })).toBe(1);
    expect(delta('bastion_tool_calls_total', { tool: 'list_sources', outcome: 'rate_limited' })).toBe(1);
    expect(delta('bastion_denials_total', { tool: 'query', reason: 'SQL_NOT_READ_ONLY' })).toBe(2);
    expect(delta('bastion_denials_total', { tool: 'list_sources', reason: 'RATE_LIMITED' })).toBe(1);
    expect(delta('bastion_tool_call_duration_seconds_count', { tool: 'query' })).toBe(5);
    // A made-up tool name never becomes a label of its own.
    expect(after).not.toContain('no_such_tool');
    expect(delta('bastion_tool_calls_total', { tool: 'other', outcome: 'denied' })).toBe(1);
    // Every one of those 8 calls was audited, and each audit write was timed.
    expect(delta('bastion_audit_write_duration_seconds_count', {})).toBe(8);
  });

  it('counts failed authentications by reason', async () => {
    const before = await scrape();
    await rawRequest(metricsUrl());
    await rawRequest(metricsUrl(), { headers: { authorization: `Bearer ak_${'A'.repeat(43)}` } });
    await rawRequest(metricsUrl(), { headers: { authorization: `Bearer ak_${'B'.repeat(43)}` } });
    const after = await scrape();
    expect(sample(after, 'bastion_auth_failures_total', { reason: 'AUTH_MISSING' }) - sample(before, 'bastion_auth_failures_total', { reason: 'AUTH_MISSING' })).toBe(1);
    expect(sample(after, 'bastion_auth_failures_total', { reason: 'AUTH_INVALID' }) - sample(before, 'bastion_auth_failures_total', { reason: 'AUTH_INVALID' })).toBe(2);
  });

  it('keeps /healthz a bare liveness answer', async () => {
    const res = await rawRequest(`http://${server.hostPort}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"status":"ok"}');
  });
});

describe('metrics on a listener of their own (metrics.listen)', () => {
  it('serves /metrics there without credentials, and not on the main listener', async () => {
    const cwd = dirWithConfig([...DEMO, 'metrics:', '  enabled: true', '  listen: 127.0.0.1:0', ''].join('\n'));
    const admin = await createKey(cwd, 'admin');
    const server = await startHttp([], { cwd, auth: true });
    let url: unknown;
    await expect.poll(() => (url = parseLogLines(server.stderr()).find((l) => l['msg'] === 'bastion serving metrics')?.['url']), POLL).toBeDefined();
    const res = await rawRequest(String(url));
    expect(res.status).toBe(200);
    expect(res.body).toContain('# TYPE bastion_tool_calls_total counter');
    expect((await rawRequest(String(url).replace('/metrics', '/mcp'))).status).toBe(404);

    const main = await rawRequest(`http://${server.hostPort}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    expect(main.status).toBe(404);
    expect(main.body).not.toContain('bastion_');
    await server.stop();
  });

  it('refuses to start with a non-loopback metrics.listen, naming the key', async () => {
    const cwd = dirWithConfig([...DEMO, 'metrics:', '  enabled: true', '  listen: 0.0.0.0:0', ''].join('\n'));
    const run = await runCli(['serve', '--http', '--port', '0'], { cwd });
    expect(run.code).not.toBe(0);
    expect(run.timedOut).toBe(false);
    expect(run.stderr).toContain('metrics.listen');
  });

  it('refuses metrics.listen while metrics are disabled', async () => {
    const cwd = dirWithConfig([...DEMO, 'metrics:', '  listen: 127.0.0.1:9464', ''].join('\n'));
    const run = await runCli(['serve', '--http', '--port', '0'], { cwd });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('metrics.listen');
  });
});

describe('/readyz', () => {
  it('is ready on the demo database', async () => {
    const server = await startHttp([], { cwd: dirWithConfig(`${DEMO.join('\n')}\n`) });
    // 503 until the embedded database has started (slow on a loaded machine), then ready.
    let res: Awaited<ReturnType<typeof rawRequest>> | undefined;
    const ready = await eventually(async () => {
      res = await rawRequest(`http://${server.hostPort}/readyz`);
      return res.status === 200;
    }, 60, 500);
    expect(ready).toBe(true);
    expect(res?.body).toBe('{"status":"ready"}');
    await server.stop();
  });

  it('answers 503 when a postgres source is unreachable, naming no source, host or port', async () => {
    const cwd = dirWithConfig(
      [
        'sources:',
        '  warehouse_secret:',
        '    engine: postgres',
        '    url: postgres://bastion_probe:hunter2@127.0.0.1:1/inventorydb',
        '    pool:',
        '      connect_timeout_ms: 2000',
        'state:',
        '  dir: ./state',
        '',
      ].join('\n'),
    );
    const server = await startHttp([], { cwd });
    const res = await rawRequest(`http://${server.hostPort}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body).toBe('{"status":"not ready"}');
    for (const secret of ['warehouse_secret', '127.0.0.1', ':1', 'inventorydb', 'bastion_probe', 'hunter2', 'ECONNREFUSED']) expect(res.body).not.toContain(secret);
    // Liveness is not readiness: the process itself is fine.
    expect((await rawRequest(`http://${server.hostPort}/healthz`)).status).toBe(200);
    await server.stop();
  });
});

describe('metrics over stdio', () => {
  it('serves /metrics on metrics.listen while the MCP session runs over stdio, and counts its calls', async () => {
    const cwd = dirWithConfig([...DEMO, 'metrics:', '  enabled: true', '  listen: 127.0.0.1:0', ''].join('\n'));
    const bastion = await startStdio([], { cwd });
    try {
      let url: unknown;
      await expect.poll(() => (url = parseLogLines(bastion.stderr()).find((l) => l['msg'] === 'bastion serving metrics')?.['url']), POLL).toBeDefined();
      const before = sample((await rawRequest(String(url))).body, 'bastion_tool_calls_total', { tool: 'query', outcome: 'ok' });
      const ok = (await bastion.client.callTool({ name: 'query', arguments: { sql: 'SELECT 1' } })) as CallToolResult;
      expect(ok.isError).toBeFalsy();
      const denied = (await bastion.client.callTool({ name: 'query', arguments: { sql: 'DELETE FROM shop.orders' } })) as CallToolResult;
      expect(denied.isError).toBe(true);
      const text = (await rawRequest(String(url))).body;
      expect(sample(text, 'bastion_tool_calls_total', { tool: 'query', outcome: 'ok' })).toBe(before + 1);
      expect(sample(text, 'bastion_tool_calls_total', { tool: 'query', outcome: 'denied' })).toBeGreaterThanOrEqual(1);
    } finally {
      await bastion.close();
    }
  });
});
