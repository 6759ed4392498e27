/**
 * Every refusal leaves an audit record, on the built binary. The attacks: a JWT without
 * the tool's scope calls the tool anyway (403 insufficient_scope used to leave no
 * record, log line or metric); and while the rate-limit store (Redis) is down, failed
 * logins used to be answered 503 before anything was counted or audited. What must
 * hold: the scope refusal is audited (principal, tool, reason), logged and counted, and
 * the tool never ran; with Redis unreachable (a closed local port, never the machine's
 * Redis), failed logins are still answered 401 and audited up to the allowance and 429
 * past it (counted in the process), a valid credential still opens a session, and its
 * tool call is refused LIMITER_UNAVAILABLE (fail closed) and audited.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import { cleanup, demoConfigWithJwt, dirWithConfig, parseLogLines, POLL, rawRequest, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

const SECRET = 'refusals-test-secret-0123456789abcdef012345';
const ENV = { BASTION_TEST_JWT_SECRET: SECRET };
const ISSUER = 'refusals-test';
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const PROTOCOL = '2025-06-18';
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

afterAll(cleanup);

async function token(cwd: string, subject: string, role: string, scope?: string): Promise<string> {
  const run = await runCli(['token', 'issue', '--sub', subject, '--role', role, '--ttl', '10m', ...(scope === undefined ? [] : ['--scope', scope])], { cwd, env: ENV });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

async function openSession(url: string, bearer: string): Promise<Record<string, string>> {
  const init = await rawRequest(url, { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${bearer}` }, body: INIT });
  expect(init.status, init.body).toBe(200);
  const headers = { ...JSON_HEADERS, authorization: `Bearer ${bearer}`, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': PROTOCOL };
  const notified = await rawRequest(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  expect(notified.status).toBe(202);
  return headers;
}

function callTool(url: string, headers: Record<string, string>, name: string, args: Record<string, unknown>): ReturnType<typeof rawRequest> {
  return rawRequest(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: args } }) });
}

function auditRecords(cwd: string): Record<string, unknown>[] {
  return [...chainTexts(join(cwd, 'state')).values()].flatMap((text) => recordsOf(text));
}

/** The value of one series in a Prometheus exposition (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('a JWT without the tool’s scope is refused, audited, logged and counted', () => {
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    cwd = dirWithConfig(demoConfigWithJwt(ISSUER, { auth: ['  tool_scopes:', '    query: bastion:query'], extra: ['metrics:', '  enabled: true', 'rate_limits:', '  per_principal_per_minute: 3'] }));
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });
  afterAll(async () => server?.stop());

  it('403 insufficient_scope; one deny record names principal, tool and reason; the statement never ran; bastion_http_refusals_total counts it', async () => {
    const headers = await openSession(server.url, await token(cwd, 'bob', 'admin'));
    const refused = await callTool(server.url, headers, 'query', { sql: 'SELECT count(*) FROM shop.orders' });
    expect(refused.status).toBe(403);
    expect(String(refused.headers['www-authenticate'])).toContain('error="insufficient_scope"');

    // One record, the refusal's: the tool body never ran (it would have left a record of its own).
    const bobs = auditRecords(cwd).filter((r) => (r['principal'] as { id?: string }).id === `jwt:${ISSUER}#bob`);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]).toMatchObject({ tool: 'query', decision: 'deny', reason: 'AUTH_INSUFFICIENT_SCOPE', outcome: 'denied', session: headers['mcp-session-id'], principal: { kind: 'jwt', role: 'admin' } });
    // The log is written asynchronously: its line may come after the answer.
    const logged = (): Record<string, unknown>[] => parseLogLines(server.stderr()).filter((l) => l['msg'] === 'request refused');
    await expect.poll(() => logged().length, POLL).toBe(1);
    expect(logged()).toMatchObject([{ code: 'AUTH_INSUFFICIENT_SCOPE', principal: `jwt:${ISSUER}#bob`, tool: 'query', correlationId: bobs[0]?.['correlation_id'] }]);

    // With the scope, the same admin's metrics scrape shows the refusal by reason and tool.
    const scraped = await rawRequest(`http://${server.hostPort}/metrics`, { headers: { authorization: `Bearer ${await token(cwd, 'ops', 'admin', 'bastion:query')}` } });
    expect(scraped.status).toBe(200);
    expect(sample(scraped.body, 'bastion_http_refusals_total{reason="insufficient_scope",tool="query"}')).toBe(1);
    expect(sample(scraped.body, 'bastion_tool_calls_total{tool="query",outcome="ok"}')).toBe(0);
  });

  it('a request refused for scope spends the principal’s rate limit: a flood of them is limited like calls, not written to the audit without end (found by an attacker)', async () => {
    const bearer = await token(cwd, 'dave', 'reader');
    const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
    const call = (name: string, args: Record<string, unknown>): ReturnType<typeof rawRequest> =>
      rawRequest(server.url, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${bearer}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
        body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name, arguments: args, _meta: envelope } }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('query', { sql: 'SELECT 1' })).status);
    statuses.push((await call('list_sources', {})).status);
    expect(statuses).toEqual([403, 403, 403, 429]);
    // 2025 sessions: a message refused for scope spends one too (eve opens a session: one).
    const headers = await openSession(server.url, await token(cwd, 'eve', 'reader'));
    const sessionStatuses: number[] = [];
    for (let i = 0; i < 3; i++) sessionStatuses.push((await callTool(server.url, headers, 'query', { sql: 'SELECT 1' })).status);
    expect(sessionStatuses).toEqual([403, 403, 429]);
  });
});

describe('while Redis (the rate-limit store) is unreachable, authentication still works and every refusal is audited', () => {
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    // Port 1 on loopback: nothing listens there; the machine's Redis is never touched.
    cwd = dirWithConfig(demoConfigWithJwt(ISSUER, { extra: ['redis:', '  url: redis://127.0.0.1:1', 'rate_limits:', '  auth_failures_per_minute: 2'] }));
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });
  afterAll(async () => server?.stop());

  it('failed logins: 401 and audited up to the allowance, 429 past it — never 503', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await rawRequest(server.url, { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ak_${'x'.repeat(43)}` }, body: INIT })).status);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
    const failed = auditRecords(cwd).filter((r) => r['outcome'] === 'auth_failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ decision: 'deny', reason: 'AUTH_INVALID', client: '127.0.0.1' });
  });

  it('a valid credential opens a session; its tool call is refused LIMITER_UNAVAILABLE and audited with principal and tool', async () => {
    const headers = await openSession(server.url, await token(cwd, 'alice', 'reader'));
    const refused = await callTool(server.url, headers, 'query', { sql: 'SELECT count(*) FROM shop.orders' });
    expect(refused.status).toBe(200);
    const result = (JSON.parse(refused.body) as { result: { isError?: boolean; content: { text: string }[]; structuredContent?: unknown } }).result;
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toMatch(/^LIMITER_UNAVAILABLE:/);
    expect(result.structuredContent).toBeUndefined();

    const alices = auditRecords(cwd).filter((r) => (r['principal'] as { id?: string }).id === `jwt:${ISSUER}#alice`);
    expect(alices).toHaveLength(1);
    expect(alices[0]).toMatchObject({ tool: 'query', decision: 'deny', reason: 'LIMITER_UNAVAILABLE', outcome: 'denied', session: headers['mcp-session-id'] });
    expect(server.child.exitCode).toBeNull();
  });

  it('2026-07-28 requests fail closed too: a tool call (kept server or per-request path) and a tools/list get 503 LIMITER_UNAVAILABLE, audited, with no rows and no tool list (found by an attacker: they ran unlimited)', async () => {
    const bearer = await token(cwd, 'carol', 'reader');
    const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
    const post = (method: string, params: Record<string, unknown>, name?: string): ReturnType<typeof rawRequest> =>
      rawRequest(server.url, {
        method: 'POST',
        headers: { ...JSON_HEADERS, authorization: `Bearer ${bearer}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(name === undefined ? {} : { 'mcp-name': name }) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 4, method, params: { ...params, _meta: envelope } }),
      });
    const call = { name: 'query', arguments: { sql: 'SELECT count(*)::int AS n FROM shop.orders' } };
    const answers = [
      await post('tools/call', call, 'query'),
      await post('tools/call', call, `=?base64?${Buffer.from('query').toString('base64')}?=`),
      await post('tools/list', {}),
    ];
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    for (const answer of answers) {
      expect(answer.body).toContain('LIMITER_UNAVAILABLE');
      expect(answer.body).not.toContain('"rows"');
      expect(answer.body).not.toContain('"tools"');
    }
    const carols = auditRecords(cwd).filter((r) => (r['principal'] as { id?: string }).id === `jwt:${ISSUER}#carol`);
    expect(carols.map((r) => [r['tool'], r['reason'], r['outcome']])).toEqual([
      ['query', 'LIMITER_UNAVAILABLE', 'denied'],
      ['query', 'LIMITER_UNAVAILABLE', 'denied'],
      [undefined, 'LIMITER_UNAVAILABLE', 'denied'],
    ]);
  });
});
