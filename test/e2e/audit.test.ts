/**
 * The audit trail of the built server, over HTTP with the official SDK client:
 * exactly one record per call under concurrent load, every answered call on disk
 * before its answer (checked after a kill -9 in the middle of the load), a restart
 * that closes the killed process's chain and writes its own, and failed authentications recorded without
 * the credential that was tried.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { chainTexts, onlyChainText, recordsOf } from '../helpers/audit-chains.js';
import { eventually } from '../helpers/eventually.js';
import { cleanup, dirWithConfig, rawRequest, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

// Eight clients of one principal: the rate limit and the statements in flight (4 by default) raised out of reach.
const CONFIG = [
  'sources:',
  '  demo:',
  '    engine: pglite',
  'rate_limits:',
  '  per_principal_per_minute: 1000000',
  'limits:',
  '  max_in_flight_per_principal: 64',
  'state:',
  '  dir: ./state',
  '',
].join('\n');

afterAll(async () => cleanup());

interface AuditLine {
  seq: number;
  tool?: string;
  outcome: string;
  reason?: string;
  correlation_id: string;
  principal: { id: string; kind: string };
}

/** The records of every chain in ./state (a torn last line after kill -9 left out). */
function auditLines(cwd: string): AuditLine[] {
  return [...chainTexts(join(cwd, 'state')).values()].flatMap((text) => recordsOf(text) as unknown as AuditLine[]);
}

async function connect(server: HttpBastion): Promise<Client> {
  const client = new Client({ name: 'audit-load', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  return client;
}

function correlationOf(result: CallToolResult): string {
  const meta = result._meta ?? {};
  const id = meta['bastion/correlation_id'] ?? (meta['bastion/error'] as { correlation_id?: unknown } | undefined)?.correlation_id;
  if (typeof id !== 'string') throw new Error('answer without a correlation id');
  return id;
}

/** Call i: a parameterized read, and every tenth a write that the policy denies. */
function callArgs(i: number): { name: string; arguments: Record<string, unknown> } {
  return i % 10 === 0
    ? { name: 'query', arguments: { sql: 'DELETE FROM shop.customers WHERE id = $1', params: [i] } }
    : { name: 'query', arguments: { sql: 'SELECT $1::int AS n', params: [i] } };
}

describe('audit under load (built binary, HTTP)', () => {
  it('10,000 calls leave exactly 10,000 records, and the chain verifies', async () => {
    const cwd = dirWithConfig(CONFIG);
    const server = await startHttp([], { cwd });
    const CLIENTS = 8;
    const TOTAL = 10_000;
    const answered: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const client = await connect(server);
        while (next < TOTAL) {
          const i = next++;
          answered.push(correlationOf((await client.callTool(callArgs(i))) as CallToolResult));
        }
        await client.close();
      }),
    );
    await server.stop();

    const records = auditLines(cwd).filter((r) => r.tool !== undefined);
    expect(records).toHaveLength(TOTAL);
    expect(records.filter((r) => r.outcome === 'denied')).toHaveLength(TOTAL / 10);
    expect(records.filter((r) => r.outcome === 'ok')).toHaveLength(TOTAL - TOTAL / 10);
    expect(new Set(records.map((r) => r.correlation_id))).toEqual(new Set(answered));
    const verify = await runCli(['audit', 'verify', '--dir', 'state'], { cwd });
    expect(verify.stdout).toContain(`OK: ${TOTAL} record(s) verified`);
    expect(verify.code).toBe(0);
  }, 180_000);

  it('kill -9 in the middle of the load: every answered call is on disk, and the next start closes the killed chain so verify passes', async () => {
    const cwd = dirWithConfig(CONFIG);
    const server = await startHttp([], { cwd });
    const answered: string[] = [];
    let stop = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      const client = await connect(server);
      for (let i = c; !stop && i < 1_000_000; i += 8) {
        try {
          answered.push(correlationOf((await client.callTool(callArgs(i))) as CallToolResult));
        } catch {
          return; // the server is gone
        }
      }
    });
    while (answered.length < 1000) await new Promise((resolve) => setTimeout(resolve, 20));
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    stop = true;
    await Promise.all(clients);

    const onDisk = new Set(auditLines(cwd).map((r) => r.correlation_id));
    expect(answered.length).toBeGreaterThanOrEqual(1000);
    expect(answered.filter((id) => !onDisk.has(id))).toEqual([]);
    // A kill can only leave a torn last line, which verify names; nothing earlier is damaged.
    const before = await runCli(['audit', 'verify', '--dir', 'state'], { cwd });
    if (before.code !== 0) expect(before.stdout).toContain('TORN_LAST_LINE');
    else expect(before.stdout).toContain('OK:');

    const [killed, ...others] = [...chainTexts(join(cwd, 'state')).keys()];
    expect(others).toEqual([]);

    const again = await startHttp([], { cwd });
    const client = await connect(again);
    expect((await client.callTool({ name: 'list_sources', arguments: {} })).isError).toBeFalsy();
    // Killed a moment ago, the old server's heartbeat may still be fresh at this start (a live
    // writer in another PID namespace looks the same): the start looks again once it has lapsed.
    const killedLock = join(cwd, 'state', 'audit', killed ?? '', 'audit.lock');
    expect(await eventually(() => !existsSync(killedLock), 200, 100)).toBe(true);
    await client.close();
    await again.stop();
    const after = await runCli(['audit', 'verify', '--dir', 'state'], { cwd });
    expect(after.stdout).toMatch(/^OK: \d+ record\(s\) verified/);
    expect(after.stdout).toContain('OK: 2 chain(s)');
    expect(after.code).toBe(0);
    // The restart wrote its own chain and closed the killed one: a torn line became a gap record, its lock is gone.
    const chains = chainTexts(join(cwd, 'state'));
    expect(existsSync(join(cwd, 'state', 'audit', killed ?? '', 'audit.lock'))).toBe(false);
    const fresh = [...chains.entries()].find(([instance]) => instance !== killed);
    expect(recordsOf(fresh?.[1] ?? '').at(-1)?.['tool']).toBe('list_sources');
  }, 180_000);
});

describe('failed authentication is audited', () => {
  it('records each failure with its reason and the client address, never the credential', async () => {
    const cwd = dirWithConfig(CONFIG);
    const server = await startHttp([], { cwd, auth: true });
    const forged = `ak_${'Q'.repeat(43)}`;
    // secret-scan: allow (made up, never valid)
    const jwtLike = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlLW5vdC12YWxpZA';
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: server.hostPort };
    for (const authorization of [`Bearer ${forged}`, `Bearer ${jwtLike}`]) {
      const res = await rawRequest(server.url, { method: 'POST', headers: { ...headers, authorization }, body });
      expect(res.status).toBe(401);
    }
    await server.stop();
    const failures = auditLines(cwd).filter((r) => r.outcome === 'auth_failed');
    expect(failures).toHaveLength(2);
    expect(failures.every((r) => r.principal.kind === 'unauthenticated' && r.reason === 'AUTH_INVALID')).toBe(true);
    expect(failures.every((r) => (r as unknown as { client?: string }).client === '127.0.0.1')).toBe(true);
    const text = onlyChainText(join(cwd, 'state'));
    expect(text).not.toContain(forged.slice(3, 20));
    expect(text).not.toContain(jwtLike.slice(0, 20));
  }, 60_000);
});
