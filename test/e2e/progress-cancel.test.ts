/**
 * Long reads are visible and cancellable: a client that asked for progress hears
 * that its query still runs, and a client that cancels stops the statement on the
 * database itself — not only its own wait for the answer.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../src/errors/codes.js';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import type { Principal } from '../../src/session/context.js';
import { createSessionServer } from '../../src/tools/session-server.js';
import type { Source } from '../../src/engine/source.js';
import { rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, rawRequest, startHttp, type HttpBastion } from '../helpers/spawn.js';

/** Minutes of work for PostgreSQL; only a cancel ends it within the test. */
const LONG_SQL = 'SELECT count(*) FROM generate_series(1, 2000000000)';
const ADMIN: Principal = { id: 'test', kind: 'local', role: 'admin', scopes: [] };

/** A second SDK client on the same server context, so a call can carry onprogress and an AbortSignal. */
async function connectClient(bastion: TestBastion): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = createSessionServer(bastion.ctx, ADMIN);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bastion-progress-test', version: '1' });
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}


/** Backends of the test database still running the long statement (never the admin's own). */
async function longStatementsOn(db: TestDatabase): Promise<number> {
  const result = await db.admin(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%generate_series(1, 2000000000)%'",
    [db.name],
  );
  return (result.rows[0] as { n: number }).n;
}

/** Starts a long read on the source and aborts it; resolves to what the read threw. */
async function cancelledRead(source: Source, abortAfterMs: number): Promise<unknown> {
  const controller = new AbortController();
  const read = source.read({ sql: LONG_SQL, params: [], maxRows: 10, maxBytes: 10_000, signal: controller.signal });
  setTimeout(() => controller.abort(), abortAfterMs);
  return read.then(
    () => new Error('the read finished instead of being cancelled'),
    (error: unknown) => error,
  );
}

describe.skipIf(!postgres.ok)('PostgreSQL: progress and cancellation', () => {
  let db: TestDatabase;
  let bastion: TestBastion;
  let second: { client: Client; close: () => Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase();
    bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url, statement_timeout_ms: 60_000 } } });
    second = await connectClient(bastion);
  });
  afterAll(async () => {
    await second.close();
    await bastion.close();
    await db.drop();
  });

  const runningLongStatements = (): Promise<number> => longStatementsOn(db);

  it('a long query reports progress, and cancelling it stops the statement on the server', async () => {
    const controller = new AbortController();
    const progress: Progress[] = [];
    const call = second.client.callTool({ name: 'query', arguments: { sql: LONG_SQL } }, undefined, {
      signal: controller.signal,
      timeout: 120_000,
      onprogress: (p) => {
        progress.push(p);
        controller.abort(new Error('cancelled by the test'));
      },
    });
    await expect(call).rejects.toThrow('cancelled by the test');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatchObject({ progress: expect.any(Number) as number, message: 'query running' });

    // The effect that matters: no backend keeps computing the abandoned aggregate.
    expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);

    // The server ended the call as cancelled, and says so in its audit record.
    const cancelledRecord = async (): Promise<boolean> => {
      const text = await readFile(join(bastion.auditDir, 'audit.jsonl'), 'utf8').catch(() => '');
      return text.split('\n').some((line) => line.includes('"reason":"QUERY_CANCELLED"'));
    };
    expect(await eventually(cancelledRecord)).toBe(true);

    // The same Bastion keeps serving.
    const next = await second.client.callTool({ name: 'query', arguments: { sql: 'SELECT 41 + 1 AS answer' } });
    expect(rowsOf(next as Parameters<typeof rowsOf>[0])).toEqual([[42]]);
  });

  it('a short query sends no progress', async () => {
    const progress: Progress[] = [];
    const result = await second.client.callTool({ name: 'query', arguments: { sql: 'SELECT 1 AS one' } }, undefined, { onprogress: (p) => progress.push(p) });
    expect(rowsOf(result as Parameters<typeof rowsOf>[0])).toEqual([[1]]);
    expect(progress).toEqual([]);
  });

  it('the source ends a cancelled read with QUERY_CANCELLED and never reuses its connection', async () => {
    const own = await startBastion({ sources: { main: { engine: 'postgres', url: db.url, statement_timeout_ms: 60_000, pool: { max: 1 } } } });
    try {
      const source = own.ctx.sources.resolve('main').source;
      const readPid = async (): Promise<unknown> => (await source.read({ sql: 'SELECT pg_backend_pid()', params: [], maxRows: 1, maxBytes: 100 })).rows[0]?.[0];
      const before = await readPid();
      // The abort waits until the statement is visibly running on that very connection.
      const controller = new AbortController();
      const read = source.read({ sql: LONG_SQL, params: [], maxRows: 10, maxBytes: 10_000, signal: controller.signal }).then(
        () => new Error('the read finished instead of being cancelled'),
        (error: unknown) => error,
      );
      expect(await eventually(async () => (await runningLongStatements()) === 1)).toBe(true);
      controller.abort();
      const error = await read;
      expect(error).toBeInstanceOf(BastionError);
      expect((error as BastionError).code).toBe('QUERY_CANCELLED');
      expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);
      const after = await readPid();
      expect(after).not.toBe(before); // the cancelled connection was destroyed, not pooled
    } finally {
      await own.close();
    }
  });
});

describe('PGlite: cancellation', () => {
  let bastion: TestBastion;
  beforeAll(async () => {
    bastion = await startBastion({ sources: { demo: { engine: 'pglite', statement_timeout_ms: 60_000 } } });
  });
  afterAll(async () => bastion.close());

  it('a cancelled read ends with QUERY_CANCELLED and the restarted engine answers the next call', async () => {
    const source = bastion.ctx.sources.resolve('demo').source;
    // A warm engine, so the abort stops a running statement rather than a start-up.
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT 1 AS one' }))).toEqual([[1]]);
    const error = await cancelledRead(source, 300);
    expect(error).toBeInstanceOf(BastionError);
    expect((error as BastionError).code).toBe('QUERY_CANCELLED');
    const next = await bastion.call('query', { sql: 'SELECT 41 + 1 AS answer' });
    expect(rowsOf(next)).toEqual([[42]]);
  });
});

describe.skipIf(!postgres.ok)('PostgreSQL over Streamable HTTP: progress and cancellation', () => {
  const PROTOCOL_VERSION = '2025-06-18';
  let db: TestDatabase;
  let server: HttpBastion;
  let cwd: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const yaml = ['sources:', '  main:', '    engine: postgres', `    url: ${db.url}`, '    statement_timeout_ms: 60000', 'state:', '  dir: ./state', ''].join('\n');
    cwd = dirWithConfig(yaml);
    server = await startHttp([], { cwd });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await cleanup();
  });

  const runningLongStatements = (): Promise<number> => longStatementsOn(db);
  /** Calls the audit records as cancelled (a statement that ran to its end is recorded ok). */
  const cancelledCalls = (): number =>
    [...chainTexts(join(cwd, 'state')).values()].flatMap((text) => recordsOf(text)).filter((r) => r['tool'] === 'query' && r['reason'] === 'QUERY_CANCELLED').length;

  function post(sessionId: string | undefined, body: unknown, accept = 'application/json, text/event-stream') {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept, 'mcp-protocol-version': PROTOCOL_VERSION };
    if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
    return rawRequest(server.url, { method: 'POST', headers, body: JSON.stringify(body) });
  }

  async function openSession(): Promise<string> {
    const init = await post(undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'progress-e2e', version: '1' } },
    });
    const sessionId = init.headers['mcp-session-id'] as string;
    expect((await post(sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    return sessionId;
  }

  it('the SDK client hears progress on the request\'s stream, and its cancel stops the statement on the server', async () => {
    const client = new Client({ name: 'bastion-http-progress', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    try {
      const controller = new AbortController();
      const progress: Progress[] = [];
      const call = client.callTool({ name: 'query', arguments: { sql: LONG_SQL } }, undefined, {
        signal: controller.signal,
        timeout: 120_000,
        onprogress: (p) => {
          progress.push(p);
          controller.abort(new Error('cancelled by the test'));
        },
      });
      await expect(call).rejects.toThrow('cancelled by the test');
      expect(progress[0]).toMatchObject({ progress: expect.any(Number) as number, message: 'query running' });
      expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);
      // The session goes on serving.
      const next = await client.callTool({ name: 'query', arguments: { sql: 'SELECT 41 + 1 AS answer' } });
      expect(rowsOf(next as Parameters<typeof rowsOf>[0])).toEqual([[42]]);
    } finally {
      await client.close();
    }
  });

  it('over raw HTTP: the response becomes an event stream of that request\'s progress, and a cancel ends it without an answer', async () => {
    const sessionId = await openSession();
    const target = new URL(server.url);
    let text = '';
    let contentType = '';
    let firstProgress!: () => void;
    const sawProgress = new Promise<void>((resolve) => (firstProgress = resolve));
    const ended = new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
        },
        (res) => {
          contentType = String(res.headers['content-type']);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('notifications/progress')) firstProgress();
          });
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'query', arguments: { sql: LONG_SQL }, _meta: { progressToken: 'tok-7' } } }));
    });
    await sawProgress;
    expect(await post(sessionId, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'test' } })).toMatchObject({ status: 202 });
    await ended;
    expect(contentType).toBe('text/event-stream');
    const events = text.split('\n\n').filter((e) => e.startsWith('event: message\ndata: ')).map((e) => JSON.parse(e.slice('event: message\ndata: '.length)) as Record<string, unknown>);
    expect(events.length).toBeGreaterThanOrEqual(1);
    for (const event of events) expect(event).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'tok-7' } });
    expect(text).not.toContain('"result"');
    expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);
  });

  it('over 2026-07-28 (stateless): a client that goes away mid-query stops the statement on the server', async () => {
    const target = new URL(server.url);
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'gone-e2e', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'query', arguments: { sql: LONG_SQL }, _meta: envelope } });
    const req = request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'query' },
    });
    req.on('error', () => undefined);
    req.end(body);
    expect(await eventually(async () => (await runningLongStatements()) === 1)).toBe(true);
    req.destroy();
    // The effect that matters: the abandoned statement does not run on; it was cancelled (not
    // left to fail on its own), as the call's audit record says.
    expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);
    const cancelled = (): boolean =>
      [...chainTexts(join(cwd, 'state')).values()].flatMap((text) => recordsOf(text)).some((r) => r['tool'] === 'query' && r['reason'] === 'QUERY_CANCELLED');
    expect(await eventually(cancelled)).toBe(true);
  });

  it('over a 2025 session: a client that goes away mid-query stops the statement, and a later request reusing its id gets its own answer (found by an attacker)', async () => {
    const sessionId = await openSession();
    const target = new URL(server.url);
    const req = request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'mcp-protocol-version': PROTOCOL_VERSION, 'mcp-session-id': sessionId },
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 21, method: 'tools/call', params: { name: 'query', arguments: { sql: LONG_SQL.replace('count(*)', "'FIRST' AS which, count(*)") } } }));
    expect(await eventually(async () => (await runningLongStatements()) === 1)).toBe(true);
    const before = cancelledCalls();
    req.destroy();
    // The abandoned statement is cancelled on the database (its record says so), not left to
    // run to its end.
    expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);
    expect(await eventually(() => cancelledCalls() === before + 1)).toBe(true);
    // The same id again: its answer is its own, never the first request's.
    const again = await post(sessionId, { jsonrpc: '2.0', id: 21, method: 'tools/call', params: { name: 'query', arguments: { sql: "SELECT 'SECOND' AS which" } } }, 'application/json');
    const answer = JSON.parse(again.body) as { id: number; result?: Parameters<typeof rowsOf>[0] };
    expect(answer.id).toBe(21);
    expect(rowsOf(answer.result as Parameters<typeof rowsOf>[0])).toEqual([['SECOND']]);
  });

  it('over 2026-07-28: closing a connection stops the statements of requests pipelined on it, not only the first (found by an attacker)', async () => {
    const target = new URL(server.url);
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'pipelined-e2e', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const httpRequest = (id: number, label: string): string => {
      const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'query', arguments: { sql: LONG_SQL.replace('count(*)', `'${label}' AS which, count(*)`) }, _meta: envelope } });
      return [
        `POST ${target.pathname} HTTP/1.1`,
        `Host: ${target.host}`,
        'Content-Type: application/json',
        'Accept: application/json, text/event-stream',
        'Mcp-Protocol-Version: 2026-07-28',
        'Mcp-Method: tools/call',
        'Mcp-Name: query',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n');
    };
    const socket = connect(Number(target.port), target.hostname);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(httpRequest(31, 'PIPE1') + httpRequest(32, 'PIPE2'));
    expect(await eventually(async () => (await runningLongStatements()) === 2)).toBe(true);
    const before = cancelledCalls();
    socket.destroy();
    // Both are cancelled; the second's response was queued behind the first and never closed.
    expect(await eventually(async () => (await runningLongStatements()) === 0)).toBe(true);
    expect(await eventually(() => cancelledCalls() === before + 2)).toBe(true);

    // The same principal reuses a cancelled id on a new connection: the answer is its own,
    // with none of the cancelled statement's rows or progress (2026-07-28 tool calls share a
    // server the principal keeps).
    const reuse = JSON.stringify({ jsonrpc: '2.0', id: 31, method: 'tools/call', params: { name: 'query', arguments: { sql: "SELECT 'REUSED' AS which" }, _meta: { ...envelope, progressToken: 'p-31' } } });
    const reused = await rawRequest(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'query' },
      body: reuse,
    });
    expect(reused.headers['content-type']).toBe('application/json');
    const answer = JSON.parse(reused.body) as { id: number; result: Parameters<typeof rowsOf>[0] };
    expect(answer.id).toBe(31);
    expect(rowsOf(answer.result)).toEqual([['REUSED']]);
    expect(reused.body).not.toContain('PIPE1');
  });

  it('a short call, or a client that does not accept a stream, gets one JSON answer', async () => {
    const sessionId = await openSession();
    const call = { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT 1 AS one' }, _meta: { progressToken: 'tok-8' } } };
    const short = await post(sessionId, call);
    expect(short.headers['content-type']).toBe('application/json');
    const answer = JSON.parse(short.body) as { id: number; result?: { structuredContent?: unknown }; error?: unknown };
    expect(answer.id).toBe(8);
    expect(answer.error).toBeUndefined();
    expect(rowsOf(answer.result as Parameters<typeof rowsOf>[0])).toEqual([[1]]);
    const jsonOnly = await post(sessionId, { ...call, id: 9 }, 'application/json');
    expect(jsonOnly.headers['content-type']).toBe('application/json');
    expect(JSON.parse(jsonOnly.body)).toMatchObject({ id: 9 });
  });
});
