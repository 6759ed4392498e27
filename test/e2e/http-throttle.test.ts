/**
 * The failed-login throttle on the built binary. The attack: a client floods the
 * server with bad tokens, or with no usable credential at all. What must hold: the
 * first auth_failures_per_minute failures get 401 and are logged and audited, every
 * failure past them gets 429 and fills neither the log nor the audit; every valid
 * credential is still served — from another client behind the same proxy, and from
 * the flooding address itself; the client address comes from X-Forwarded-For only
 * when a listed proxy sent it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../helpers/bastion.js';
import { cleanup, dirWithConfig, parseLogLines, POLL, rawRequest, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const BAD_TOKEN = `Bearer ak_${'x'.repeat(43)}`;
const BAD_CLIENT = '203.0.113.5';
const GOOD_CLIENT = '198.51.100.7';

afterAll(cleanup);

/** A demo server with API keys, 3 failed logins a minute per address, and one reader key made before it starts. */
async function serverWithKey(http: string[] = []): Promise<{ server: HttpBastion; key: string; cwd: string }> {
  const cwd = dirWithConfig(
    ['sources:', '  demo:', '    engine: pglite', 'state:', '  dir: ./state', 'rate_limits:', '  auth_failures_per_minute: 3', ...(http.length > 0 ? ['server:', '  http:', ...http] : []), ''].join('\n'),
  );
  const made = await runCli(['keys', 'create', '--name', 'good', '--role', 'reader'], { cwd });
  expect(made.code, made.stderr).toBe(0);
  const server = await startHttp([], { cwd, auth: true });
  return { server, key: made.stdout.trim(), cwd };
}

/** An initialize POST; `authorization: undefined` sends no Authorization header at all. */
async function initialize(url: string, authorization: string | undefined, forwardedFor?: string): Promise<{ status: number; body: string; retryAfter: unknown; challenge: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (authorization !== undefined) headers['authorization'] = authorization;
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const res = await rawRequest(url, { method: 'POST', headers, body: INIT });
  return { status: res.status, body: res.body, retryAfter: res.headers['retry-after'], challenge: res.headers['www-authenticate'] };
}

/** Opens a session with `key` (sending X-Forwarded-For when given) and runs one query; its rows. */
async function queryRows(url: string, key: string, forwardedFor?: string): Promise<unknown[][]> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const client = new Client({ name: 'throttle-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    return rowsOf((await client.callTool({ name: 'query', arguments: { sql: 'SELECT count(*) AS n FROM shop.orders' } })) as CallToolResult);
  } finally {
    await client.close();
  }
}

/** Every failed-authentication record in the audit files under `dir`. */
function authFailedRecords(dir: string): Record<string, unknown>[] {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.jsonl'));
  const records = files.flatMap((name) => parseLogLines(readFileSync(join(dir, name), 'utf8')));
  return records.filter((r) => r['outcome'] === 'auth_failed');
}

/** The client address of every failed authentication in the audit files under `dir`, sorted. */
function auditedClients(dir: string): unknown[] {
  return authFailedRecords(dir)
    .map((r) => r['client'])
    .sort();
}

/** The "authentication failed" log lines of one client address. */
function failuresLogged(server: HttpBastion, address: string): number {
  return parseLogLines(server.stderr()).filter((l) => l['msg'] === 'authentication failed' && l['address'] === address).length;
}

/** The addresses named by "throttled" warnings, in order. */
function throttleWarnings(server: HttpBastion): unknown[] {
  return parseLogLines(server.stderr())
    .filter((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('failed authentications from this address are throttled'))
    .map((l) => l['address']);
}

describe('HTTP: one bad and one good client behind a trusted proxy', () => {
  it('the bad client is throttled (429) while the good client, and a valid key from the bad address, are still served', async () => {
    // The test's loopback connection plays the proxy; X-Forwarded-For names each client.
    const { server, key, cwd } = await serverWithKey(['    trusted_proxies: [127.0.0.1, "::1"]']);

    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await initialize(server.url, BAD_TOKEN, BAD_CLIENT)).status);
    // auth_failures_per_minute: 3 admits three failures (401); the fourth and every later one get 429.
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const throttled = await initialize(server.url, BAD_TOKEN, BAD_CLIENT);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThan(0);
    // The answer says which setting raises the limit, and echoes nothing of the token.
    expect(throttled.body).toContain('rate_limits.auth_failures_per_minute');
    expect(throttled.body).not.toContain('xxxxxxxx');

    // Effect: the good client, behind the same proxy, gets rows.
    expect(await queryRows(server.url, key, GOOD_CLIENT)).toHaveLength(1);
    // Its failures are counted under its own address: a typo gets 401, not the bad client's 429.
    expect((await initialize(server.url, BAD_TOKEN, GOOD_CLIENT)).status).toBe(401);
    // A valid credential from the throttled address itself is served too.
    expect(await queryRows(server.url, key, BAD_CLIENT)).toHaveLength(1);

    // The log names the client, not the proxy, and stops at the allowance: 3 lines for 7 failures.
    await expect.poll(() => failuresLogged(server, GOOD_CLIENT), POLL).toBe(1);
    expect(failuresLogged(server, BAD_CLIENT)).toBe(3);
    expect(failuresLogged(server, '127.0.0.1')).toBe(0);
    expect(throttleWarnings(server)).toEqual([BAD_CLIENT]);
    // The audit records the same client addresses, the same number of times.
    expect(auditedClients(join(cwd, 'state'))).toEqual([GOOD_CLIENT, BAD_CLIENT, BAD_CLIENT, BAD_CLIENT].sort());
  });
});

describe('HTTP: without trusted_proxies, X-Forwarded-For is ignored', () => {
  it('attack: a client rotating forged X-Forwarded-For values is still throttled on its socket address, and a valid key from it is still served', async () => {
    const { server, key } = await serverWithKey();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await initialize(server.url, BAD_TOKEN, `192.0.2.${i + 1}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Effect: the forged addresses never reached the log; the socket's did.
    await expect.poll(() => failuresLogged(server, '127.0.0.1'), POLL).toBe(3);
    for (let i = 1; i <= 5; i++) expect(failuresLogged(server, `192.0.2.${i}`)).toBe(0);
    // The throttled address (the test's own) still gets answers with a valid key.
    expect(await queryRows(server.url, key, '192.0.2.200')).toHaveLength(1);
  });
});

describe('HTTP: every kind of failed authentication counts toward the throttle', () => {
  const FLOODER = '203.0.113.66';
  const NO_CREDENTIAL = '203.0.113.77';

  it('attack: after 3 bad keys, 40 requests with `Authorization: Basic` still get the sign-in challenge, and the log and the audit keep 3 failures of that address', async () => {
    const { server, key, cwd } = await serverWithKey(['    trusted_proxies: [127.0.0.1, "::1"]']);
    const bad: number[] = [];
    for (let i = 0; i < 3; i++) bad.push((await initialize(server.url, BAD_TOKEN, FLOODER)).status);
    expect(bad).toEqual([401, 401, 401]);
    const basic: string[] = [];
    for (let i = 0; i < 40; i++) {
      const answer = await initialize(server.url, 'Basic Zm9vOmJhcg==', FLOODER);
      basic.push(`${answer.status} ${String(answer.challenge).split(' ')[0]}`);
    }
    // No Bearer credential: the 401 challenge a new client signs in from, never 429 (counted all the same).
    expect(basic).toEqual(new Array<string>(40).fill('401 Bearer'));
    expect((await initialize(server.url, BAD_TOKEN, FLOODER)).status).toBe(429);
    // A valid key from the flooding address is still served (its rows come back).
    expect(await queryRows(server.url, key, FLOODER)).toHaveLength(1);

    // Effect: 43 failures, 3 log lines and 3 audit records, one warning.
    await expect.poll(() => throttleWarnings(server), POLL).toEqual([FLOODER]);
    expect(failuresLogged(server, FLOODER)).toBe(3);
    expect(auditedClients(join(cwd, 'state'))).toEqual([FLOODER, FLOODER, FLOODER]);
  });

  it('attack: requests without a usable credential (none, another scheme, a malformed Bearer) use up the allowance by themselves', async () => {
    const { server, key, cwd } = await serverWithKey(['    trusted_proxies: [127.0.0.1, "::1"]']);
    const first = await initialize(server.url, undefined, NO_CREDENTIAL);
    // Within the allowance a credential-less request still gets the 401 challenge a client needs to find the issuer.
    expect(first.status).toBe(401);
    const statuses = [
      (await initialize(server.url, 'Basic Zm9vOmJhcg==', NO_CREDENTIAL)).status,
      (await initialize(server.url, 'Bearer not a token', NO_CREDENTIAL)).status,
      (await initialize(server.url, undefined, NO_CREDENTIAL)).status,
      (await initialize(`${server.url}?access_token=x`, undefined, NO_CREDENTIAL)).status,
      (await initialize(server.url, BAD_TOKEN, NO_CREDENTIAL)).status,
    ];
    // Past the allowance a request with no credential still gets its challenge; the others get 429.
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(await queryRows(server.url, key, NO_CREDENTIAL)).toHaveLength(1);

    // Effect: the log and the audit hold the three failures within the allowance, with their reasons, and nothing past it.
    await expect.poll(() => throttleWarnings(server), POLL).toEqual([NO_CREDENTIAL]);
    expect(failuresLogged(server, NO_CREDENTIAL)).toBe(3);
    const records = authFailedRecords(join(cwd, 'state'));
    expect(records.map((r) => r['client'])).toEqual([NO_CREDENTIAL, NO_CREDENTIAL, NO_CREDENTIAL]);
    expect(records.map((r) => r['reason'])).toEqual(['AUTH_MISSING', 'AUTH_MISSING', 'AUTH_INVALID']);
  });
});
