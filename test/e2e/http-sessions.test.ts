/**
 * Fair sessions on the built binary. The attack: one principal opens session after
 * session (an `initialize` flood), as one reader key did to take all 1,000 slots and
 * lock every other principal out. What must hold: the principal keeps at most
 * max_sessions_per_principal sessions (its oldest idle ones are closed to make room);
 * other principals still connect and run tools, also once the whole table is full;
 * opening sessions spends the principal's rate limit like calls do; and a refused
 * opening (rate limit, or a cap whose sessions are all busy) leaves an audit record.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import { rowsOf } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, parseLogLines, POLL, rawRequest, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

const SECRET = 'sessions-test-secret-0123456789abcdef012345';
const ENV = { BASTION_TEST_JWT_SECRET: SECRET };
const ISSUER = 'sessions-test';
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const PROTOCOL = '2025-06-18';
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'flood', version: '1' } } });

afterAll(cleanup);

/** bastion.yaml: `sources` lines, one HS256 issuer, and the given server.http and rate_limits lines. */
function config(sources: string[], http: string[], perMinute: number): string {
  return [
    'sources:',
    ...sources,
    'state:',
    '  dir: ./state',
    'auth:',
    '  jwt:',
    '    issuers:',
    `      - issuer: ${ISSUER}`,
    '        audience: bastion',
    '        algorithms: [HS256]',
    '        secret: ${BASTION_TEST_JWT_SECRET}',
    'server:',
    '  http:',
    ...http.map((line) => `    ${line}`),
    'rate_limits:',
    `  per_principal_per_minute: ${perMinute}`,
    '',
  ].join('\n');
}
const PGLITE = ['  demo:', '    engine: pglite'];

async function token(cwd: string, subject: string): Promise<string> {
  const run = await runCli(['token', 'issue', '--sub', subject, '--role', 'reader', '--ttl', '10m'], { cwd, env: ENV });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

/** One raw `initialize`: its status, session id (when one was opened) and body. */
async function initialize(url: string, bearer: string): Promise<{ status: number; session: string | undefined; body: string; retryAfter: unknown }> {
  const res = await rawRequest(url, { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${bearer}` }, body: INIT });
  const session = res.headers['mcp-session-id'];
  return { status: res.status, session: typeof session === 'string' ? session : undefined, body: res.body, retryAfter: res.headers['retry-after'] };
}

/** The HTTP status of a ping in `session`: 200 while the session lives, 404 once it was closed. */
async function ping(url: string, bearer: string, session: string): Promise<number> {
  const headers = { ...JSON_HEADERS, authorization: `Bearer ${bearer}`, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL };
  return (await rawRequest(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }) })).status;
}

async function connect(url: string, bearer: string): Promise<Client> {
  const client = new Client({ name: 'sessions-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  return client;
}

async function orderCount(client: Client): Promise<unknown> {
  return rowsOf((await client.callTool({ name: 'query', arguments: { sql: 'SELECT count(*)::int AS n FROM shop.orders' } })) as CallToolResult)[0]?.[0];
}

/** Every audit record in ./state of `cwd`. */
function auditRecords(cwd: string): Record<string, unknown>[] {
  return [...chainTexts(join(cwd, 'state')).values()].flatMap((text) => recordsOf(text));
}

const principalOf = (subject: string): string => `jwt:${ISSUER}#${subject}`;

describe('a principal flooding initialize keeps only its cap of sessions; the others still connect (max_sessions_per_principal: 3, max_sessions: 4)', () => {
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    cwd = dirWithConfig(config(PGLITE, ['max_sessions: 4', 'max_sessions_per_principal: 3'], 1000));
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });
  afterAll(async () => server?.stop());

  it('ten sessions for alice leave her newest three; bob connects and queries; with the table full carol still connects, taking one of alice’s idle slots, never bob’s only one', async () => {
    const alice = await token(cwd, 'alice');
    const opened: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await initialize(server.url, alice);
      expect(res.status, res.body).toBe(200);
      opened.push(res.session ?? '');
    }
    const alive = async (): Promise<number[]> => Promise.all(opened.map((s) => ping(server.url, alice, s)));
    expect(await alive()).toEqual([...Array<number>(7).fill(404), 200, 200, 200]);

    const bob = await connect(server.url, await token(cwd, 'bob'));
    expect(await orderCount(bob)).toBeGreaterThan(0);

    // alice 3 + bob 1 = 4: the table is full. carol is not locked out.
    const carol = await connect(server.url, await token(cwd, 'carol'));
    expect(await orderCount(carol)).toBeGreaterThan(0);
    expect((await alive()).filter((status) => status === 200)).toHaveLength(2);
    expect(await orderCount(bob)).toBeGreaterThan(0);
    await Promise.all([bob.close(), carol.close()]);

    // The log is written asynchronously: wait for its lines.
    const reclaims = (): unknown[] => parseLogLines(server.stderr()).filter((l) => l['msg'] === 'idle session closed to make room for a new one').map((l) => l['principal']);
    await expect.poll(() => reclaims().length, POLL).toBe(8);
    expect(reclaims()).toEqual(Array<string>(8).fill(principalOf('alice')));
    // Nothing was refused, so nothing was audited as refused.
    expect(auditRecords(cwd).filter((r) => r['decision'] === 'deny')).toEqual([]);
  });
});

describe('opening a session spends the principal’s rate limit (per_principal_per_minute: 3)', () => {
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    cwd = dirWithConfig(config(PGLITE, ['max_sessions: 1000'], 3));
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });
  afterAll(async () => server?.stop());

  it('the fourth initialize in a minute gets 429 with Retry-After and no session, and is audited; another principal still opens one', async () => {
    const alice = await token(cwd, 'alice');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await initialize(server.url, alice)).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await initialize(server.url, alice);
    expect(refused.status).toBe(429);
    expect(refused.session).toBeUndefined();
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    const error = (JSON.parse(refused.body) as { error: { message: string; data: { code: string; correlation_id: string } } }).error;
    expect(error.data.code).toBe('RATE_LIMITED');
    expect(error.message).toContain('rate_limits.per_principal_per_minute');

    const records = auditRecords(cwd).filter((r) => r['correlation_id'] === error.data.correlation_id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ principal: { id: principalOf('alice'), kind: 'jwt', role: 'reader' }, decision: 'deny', reason: 'RATE_LIMITED', outcome: 'rate_limited' });

    expect((await initialize(server.url, await token(cwd, 'bob'))).status).toBe(200);
  });
});

const MODERN = '2026-07-28';

/** One raw stateless 2026-07-28 request (the envelope in `_meta`, the protocol headers matching the body). */
async function modernRequest(url: string, bearer: string, method: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: string; retryAfter: unknown }> {
  const name = typeof params['name'] === 'string' ? params['name'] : undefined;
  const headers: Record<string, string> = { ...JSON_HEADERS, authorization: `Bearer ${bearer}`, 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name === undefined ? {} : { 'mcp-name': name }) };
  const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'flood', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope } });
  const res = await rawRequest(url, { method: 'POST', headers, body });
  return { status: res.status, body: res.body, retryAfter: res.headers['retry-after'] };
}

describe('a stateless 2026-07-28 request other than a tool call spends the principal’s rate limit, as initialize does (per_principal_per_minute: 3)', () => {
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    cwd = dirWithConfig(config(PGLITE, ['max_sessions: 1000'], 3));
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });
  afterAll(async () => server?.stop());

  it('after server/discover, a tools/list and a tool call the SDK refuses before the tool stage (arguments not an object), alice’s next tools/list gets 429 with Retry-After and no tool list, and is audited; her tool call is refused too; bob still lists and queries, each request counted once', async () => {
    const alice = await token(cwd, 'alice');
    const served = [
      await modernRequest(server.url, alice, 'server/discover'),
      await modernRequest(server.url, alice, 'tools/list'),
      // Found by an attacker: such a call never reached the tool stage, so it spent nothing.
      await modernRequest(server.url, alice, 'tools/call', { name: 'query', arguments: ['SELECT 1'] }),
    ];
    expect(served.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(served[1]?.body).toContain('"query"');
    expect(served[2]?.body).toContain('"error"');

    const refused = await modernRequest(server.url, alice, 'tools/list');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body).not.toContain('"tools"');
    const error = (JSON.parse(refused.body) as { error: { message: string; data: { code: string; correlation_id: string } } }).error;
    expect(error.data.code).toBe('RATE_LIMITED');
    expect(error.message).toContain('rate_limits.per_principal_per_minute');
    const records = auditRecords(cwd).filter((r) => r['correlation_id'] === error.data.correlation_id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ principal: { id: principalOf('alice'), kind: 'jwt', role: 'reader' }, decision: 'deny', reason: 'RATE_LIMITED', outcome: 'rate_limited' });

    // The same bucket: alice's tool call is refused as it arrives, audited with its tool, and no rows come back.
    const call = await modernRequest(server.url, alice, 'tools/call', { name: 'query', arguments: { sql: 'SELECT count(*)::int AS n FROM shop.orders' } });
    expect(call.status).toBe(429);
    expect(call.body).toContain('RATE_LIMITED');
    expect(call.body).not.toContain('"rows"');
    const callError = (JSON.parse(call.body) as { error: { data: { correlation_id: string } } }).error;
    expect(auditRecords(cwd).filter((r) => r['correlation_id'] === callError.data.correlation_id)).toMatchObject([{ tool: 'query', reason: 'RATE_LIMITED' }]);

    // Each request counts once, a well-formed tool call too (at the endpoint, not again in its
    // tool stage: found by an attacker): bob lists and queries twice, and only his fourth is refused.
    const bob = await token(cwd, 'bob');
    const listed = await modernRequest(server.url, bob, 'tools/list');
    expect(listed.status, listed.body).toBe(200);
    expect(listed.body).toContain('"query"');
    const query = { name: 'query', arguments: { sql: 'SELECT count(*)::int AS n FROM shop.orders' } };
    expect((await modernRequest(server.url, bob, 'tools/call', query)).body).toContain('"rows"');
    expect((await modernRequest(server.url, bob, 'tools/call', query)).body).toContain('"rows"');
    const fourth = await modernRequest(server.url, bob, 'tools/call', query);
    expect(fourth.status).toBe(429);
    expect(fourth.body).not.toContain('"rows"');
  });
});

/** Long enough that only the statement timeout or a cancel ends it; the odd bound marks this test's statement. */
const LONG_SQL = 'SELECT count(*) FROM generate_series(1, 2000000017)';

describe.skipIf(!postgres.ok)('at its cap with every session busy, a new session is refused and audited (max_sessions_per_principal: 1, real PostgreSQL)', () => {
  let db: TestDatabase;
  let cwd: string;
  let server: HttpBastion;

  beforeAll(async () => {
    db = await createTestDatabase();
    cwd = dirWithConfig(config(['  pg:', '    engine: postgres', `    url: ${db.url}`, '    statement_timeout_ms: 20000'], ['max_sessions_per_principal: 1'], 1000));
    server = await startHttp([], { cwd, env: ENV, auth: true });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('alice’s one session runs a long query: her second initialize gets 429 SESSION_LIMIT, audited, her running session is kept; bob connects and queries', async () => {
    const alice = await token(cwd, 'alice');
    const first = await initialize(server.url, alice);
    expect(first.status).toBe(200);
    const session = first.session ?? '';
    const headers = { ...JSON_HEADERS, authorization: `Bearer ${alice}`, 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL };
    const long = rawRequest(server.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'query', arguments: { sql: LONG_SQL } } }) });
    const running = async (): Promise<number> =>
      (
        (await db.admin("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%2000000017%' AND pid <> pg_backend_pid()", [db.name]))
          .rows[0] as { n: number }
      ).n;
    await expect.poll(running, POLL).toBe(1);

    const refused = await initialize(server.url, alice);
    expect(refused.status).toBe(429);
    expect(refused.session).toBeUndefined();
    const error = (JSON.parse(refused.body) as { error: { message: string; data: { code: string; correlation_id: string } } }).error;
    expect(error.data.code).toBe('SESSION_LIMIT');
    expect(error.message).toContain('server.http.max_sessions_per_principal');
    const records = auditRecords(cwd).filter((r) => r['correlation_id'] === error.data.correlation_id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ principal: { id: principalOf('alice'), kind: 'jwt' }, decision: 'deny', reason: 'SESSION_LIMIT', outcome: 'denied' });
    // The busy session was not closed to make room: its statement still runs.
    expect(await running()).toBe(1);

    const bob = await connect(server.url, await token(cwd, 'bob'));
    expect(await orderCount(bob)).toBeGreaterThan(0);
    await bob.close();

    // Ending alice's session ends its response (and the statement with it).
    expect((await rawRequest(server.url, { method: 'DELETE', headers })).status).toBe(204);
    await long;
    await expect.poll(running, POLL).toBe(0);
  });
});
