/**
 * OpenTelemetry traces and metrics from the built binary, received by a local OTLP/HTTP receiver:
 * over stdio with OTLP JSON (a SQLite source) and over HTTP with OTLP protobuf (PostgreSQL).
 * The caller's trace is continued from `_meta.traceparent` or the HTTP `traceparent`
 * header; each tools/call is a server span with the MCP conventions and Bastion's decision,
 * over children for the rate limit, authorization, the statement and the audit append; every
 * other request (initialize, tools/list, ping, 2026-07-28 requests) is a server span of its own;
 * mcp.server.operation.duration and Bastion's counters are exported as OTLP metrics.
 * The attack: secrets and literals sent in SQL text and parameters, and a statement whose
 * driver error quotes its value, must reach no attribute and no byte of what is exported.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyChainText, recordsOf } from '../helpers/audit-chains.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedPoint, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { PG_ADMIN_URL, postgres } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, makeTempDir, parseLogLines, POLL, rawRequest, startHttp, startStdio, type HttpBastion, type StdioBastion } from '../helpers/spawn.js';
import { SECRET_CORPUS } from '../log/secret-corpus.js';

/** Printable secrets of the redactor's corpus that fit in a SQL literal and a JSON string as they are. */
const SECRETS = [...new Set(SECRET_CORPUS.map((s) => s.secret))].filter((s) => /^[\x20-\x7e]{8,200}$/.test(s) && !/['"\\]/.test(s)).slice(0, 8);
const LITERAL = 'literal-value-7f3a9c';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** The server span of the call whose audit correlation id is `correlationId`, once exported. */
async function serverSpan(receiver: OtlpReceiver, correlationId: string): Promise<ReceivedSpan> {
  await expect.poll(() => receiver.spans.some((s) => s.attributes['bastion.correlation_id'] === correlationId), POLL).toBe(true);
  return receiver.spans.find((s) => s.attributes['bastion.correlation_id'] === correlationId)!;
}

/** The children of `parent`, by name, once `count` of them are exported. */
async function childrenOf(receiver: OtlpReceiver, parent: ReceivedSpan, count: number): Promise<Map<string, ReceivedSpan>> {
  const children = (): ReceivedSpan[] => receiver.spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
  await expect.poll(() => children().length, POLL).toBe(count);
  return new Map(children().map((s) => [s.name, s]));
}

function correlationOf(result: CallToolResult): string {
  const meta = result._meta as { 'bastion/correlation_id'?: string; 'bastion/error'?: { correlation_id: string } } | undefined;
  return meta?.['bastion/correlation_id'] ?? meta?.['bastion/error']?.correlation_id ?? '';
}

/** The points of `name` exported so far (cumulative: later exports repeat earlier series). */
function pointsOf(receiver: OtlpReceiver, name: string): ReceivedPoint[] {
  return receiver.metrics.filter((m) => m.name === name).flatMap((m) => [...m.points]);
}

/** Once exported: a point of `name` whose attributes include `attributes` (and no error.type unless named). */
async function metricPoint(receiver: OtlpReceiver, name: string, attributes: Record<string, string>): Promise<ReceivedPoint> {
  const matches = (p: ReceivedPoint): boolean =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v) && ('error.type' in attributes || p.attributes['error.type'] === undefined);
  await expect.poll(() => pointsOf(receiver, name).some(matches), POLL).toBe(true);
  return pointsOf(receiver, name).findLast(matches)!;
}

/** The server span named `name` in trace `traceId` (any trace when undefined), once exported. */
async function requestSpan(receiver: OtlpReceiver, name: string, traceId?: string): Promise<ReceivedSpan> {
  const match = (s: ReceivedSpan): boolean => s.name === name && (traceId === undefined || s.traceId === traceId);
  await expect.poll(() => receiver.spans.some(match), POLL).toBe(true);
  return receiver.spans.find(match)!;
}

/** No metric attribute holds a literal, a parameter or a secret. */
function expectNoMetricLeak(receiver: OtlpReceiver, values: readonly string[]): void {
  expect(receiver.metrics.length).toBeGreaterThan(0);
  const attributes = receiver.metrics.flatMap((m) => m.points.flatMap((p) => Object.values(p.attributes).map(String)));
  for (const value of values) expect(attributes.filter((a) => a.includes(value)), value).toEqual([]);
}

/** Neither a decoded attribute nor any byte of any exported body holds a literal, a parameter or a secret. */
function expectNothingLeaked(receiver: OtlpReceiver, values: readonly string[]): void {
  expect(receiver.spans.length).toBeGreaterThan(0);
  const attributes = receiver.spans.flatMap((s) => Object.values(s.attributes).map(String));
  const raw = receiver.bodies.map((b) => b.body.toString('latin1'));
  for (const value of values) {
    expect(attributes.filter((a) => a.includes(value)), value).toEqual([]);
    expect(raw.filter((body) => body.includes(value)), value).toEqual([]);
  }
}

const sqlText = (value: string): string => `'${value.replaceAll("'", "''")}'`;

describe('traces over stdio, OTLP JSON (SQLite source)', () => {
  let receiver: OtlpReceiver;
  let server: StdioBastion;
  let stateDir: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const file = join(makeTempDir(), 'shop.db');
    const db = new Database(file);
    db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('a');");
    db.close();
    stateDir = makeTempDir();
    server = await startStdio(['--db', `sqlite:${file}`], {
      cwd: makeTempDir(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_METRIC_EXPORT_INTERVAL: '200', BASTION_STATE_DIR: stateDir },
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await cleanup();
  });

  it("continues the caller's trace from _meta.traceparent: a server span with the MCP attributes over rate limit, authorize, the statement and the audit append", async () => {
    const literals = [LITERAL, ...SECRETS.slice(0, 4)];
    const params = SECRETS.slice(4);
    const sql = `SELECT name, ${literals.map(sqlText).join(', ')}, ${params.map(() => '?').join(', ')} FROM items`;
    const result = (await server.client.callTool({
      name: 'query',
      arguments: { sql, params },
      _meta: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=opaque' },
    })) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const correlationId = correlationOf(result);

    const span = await serverSpan(receiver, correlationId);
    expect(span).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN, traceState: 'vendor=opaque', name: 'tools/call query', kind: 2, statusCode: 0 });
    expect(span.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'query',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'pipe',
      'bastion.decision': 'allow',
      'bastion.source': 'main',
    });
    expect(typeof span.attributes['jsonrpc.request.id']).toBe('string');
    expect(span.attributes['error.type']).toBeUndefined();

    const children = await childrenOf(receiver, span, 4);
    expect([...children.keys()].sort()).toEqual(['bastion.audit_append', 'bastion.authorize', 'bastion.rate_limit', 'sqlite']);
    const statement = children.get('sqlite')!;
    expect(statement.kind).toBe(3);
    expect(statement.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'bastion.source': 'main', 'db.response.returned_rows': 1 });

    // The audit record of the call carries the trace id beside the correlation id.
    const record = recordsOf(onlyChainText(stateDir)).find((r) => r['correlation_id'] === correlationId);
    expect(record).toMatchObject({ trace_id: CALLER_TRACE });
    expectNothingLeaked(receiver, [...literals, ...params]);
  });

  it('a refused statement: a deny decision with its reason code and error.type, no statement span, the trace id in the log line and the audit record', async () => {
    const result = (await server.client.callTool({ name: 'query', arguments: { sql: `DELETE FROM items WHERE name = ${sqlText(LITERAL)}` } })) as CallToolResult;
    expect(result.isError).toBe(true);
    const correlationId = correlationOf(result);
    const span = await serverSpan(receiver, correlationId);
    // No traceparent: a trace of Bastion's own.
    expect(span.parentSpanId).toBe('');
    expect(span.traceId).not.toBe(CALLER_TRACE);
    expect(span.statusCode).toBe(2);
    expect(span.attributes).toMatchObject({ 'bastion.decision': 'deny', 'bastion.reason': 'SQL_NOT_READ_ONLY', 'error.type': 'tool_error' });
    const children = await childrenOf(receiver, span, 3);
    expect(children.get('bastion.authorize')).toMatchObject({ statusCode: 2, attributes: { 'error.type': 'SQL_NOT_READ_ONLY' } });
    expect(children.has('sqlite')).toBe(false);

    const line = parseLogLines(server.stderr()).find((l) => l['correlationId'] === correlationId);
    expect(line).toMatchObject({ msg: 'tool call failed', traceId: span.traceId });
    expect(recordsOf(onlyChainText(stateDir)).find((r) => r['correlation_id'] === correlationId)).toMatchObject({ trace_id: span.traceId });
    expectNothingLeaked(receiver, [LITERAL, ...SECRETS]);
  });

  it('a malformed traceparent is ignored: the call starts a trace of its own and still succeeds', async () => {
    const result = (await server.client.callTool({
      name: 'list_sources',
      arguments: {},
      _meta: { traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const span = await serverSpan(receiver, correlationOf(result));
    expect(span.parentSpanId).toBe('');
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.traceId).not.toBe('0'.repeat(32));
  });

  it('every other request is a server span too: initialize, tools/list continuing _meta.traceparent, ping', async () => {
    const LIST_TRACE = '5bf92f3577b34da6a3ce929d0e0e4737';
    await server.client.listTools({ _meta: { traceparent: `00-${LIST_TRACE}-${CALLER_SPAN}-01` } });
    await server.client.ping();
    const initialize = await requestSpan(receiver, 'initialize');
    expect(initialize).toMatchObject({ kind: 2, statusCode: 0, parentSpanId: '', attributes: { 'mcp.method.name': 'initialize', 'network.transport': 'pipe' } });
    expect(initialize.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(typeof initialize.attributes['jsonrpc.request.id']).toBe('string');
    expect(initialize.attributes['gen_ai.tool.name']).toBeUndefined();
    const list = await requestSpan(receiver, 'tools/list', LIST_TRACE);
    expect(list).toMatchObject({ parentSpanId: CALLER_SPAN, kind: 2, attributes: { 'mcp.method.name': 'tools/list', 'network.transport': 'pipe' } });
    expect(await requestSpan(receiver, 'ping')).toMatchObject({ attributes: { 'mcp.method.name': 'ping' } });
  });

  it('metrics over OTLP JSON: mcp.server.operation.duration per method and tool, with error.type; the counters Prometheus has; no literal or secret', async () => {
    const query = await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'query', 'network.transport': 'pipe' });
    expect(query.count).toBeGreaterThanOrEqual(1);
    expect(query.sum).toBeGreaterThan(0);
    expect(query.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The refused DELETE: a tool result with isError.
    await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'query', 'error.type': 'tool_error' });
    await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'initialize' });
    await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/list' });
    const histogram = receiver.metrics.find((m) => m.name === 'mcp.server.operation.duration')!;
    expect(histogram).toMatchObject({ kind: 'histogram', unit: 's' });
    // A tools/call the SDK rejects before any tool runs (no name): a JSON-RPC error, its code as error.type.
    await expect(server.client.request({ method: 'tools/call', params: { arguments: {} } }, CallToolResultSchema)).rejects.toThrow();
    await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'other', 'error.type': '-32602' });
    // It has a server span of its own too, failed, with the code; no decision (no tool ran, nothing was audited).
    const rejected = await requestSpan(receiver, 'tools/call');
    expect(rejected).toMatchObject({ kind: 2, statusCode: 2, attributes: { 'mcp.method.name': 'tools/call', 'error.type': '-32602', 'network.transport': 'pipe' } });
    expect(rejected.attributes['bastion.decision']).toBeUndefined();

    expect((await metricPoint(receiver, 'bastion.tool.calls', { 'gen_ai.tool.name': 'query', 'bastion.outcome': 'ok' })).value).toBeGreaterThanOrEqual(1);
    expect((await metricPoint(receiver, 'bastion.denials', { 'gen_ai.tool.name': 'query', 'bastion.reason': 'SQL_NOT_READ_ONLY' })).value).toBe(1);
    expect((await metricPoint(receiver, 'bastion.tool.call.duration', { 'gen_ai.tool.name': 'query' })).count).toBeGreaterThanOrEqual(2);
    expect((await metricPoint(receiver, 'bastion.audit.write.duration', {})).count).toBeGreaterThanOrEqual(2);
    expectNoMetricLeak(receiver, [LITERAL, ...SECRETS]);
    expectNothingLeaked(receiver, [LITERAL, ...SECRETS]);
  });
});

describe('metrics are flushed when the server stops', () => {
  it('with an export interval far beyond the test, the calls made are exported on a clean exit (stdin closed)', async () => {
    const receiver = await startOtlpReceiver();
    const server = await startStdio(['--db', `sqlite:${join(makeTempDir(), 'empty.db')}`], {
      cwd: makeTempDir(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '600000', BASTION_STATE_DIR: makeTempDir() },
    });
    try {
      expect(((await server.client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult).isError).toBeFalsy();
      expect(pointsOf(receiver, 'mcp.server.operation.duration')).toEqual([]);
    } finally {
      await server.close();
    }
    try {
      const point = await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'list_sources' });
      expect(point.count).toBe(1);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});

describe('traces of a governed write (SQLite, dry run)', () => {
  it('the statement span names the command and the dry run and counts the rows, never the values written', async () => {
    const receiver = await startOtlpReceiver();
    const file = join(makeTempDir(), 'shop.db');
    const db = new Database(file);
    db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('a');");
    db.close();
    const dir = dirWithConfig(`sources:\n  main:\n    engine: sqlite\n    path: ${file}\n    writes:\n      enabled: true\n`);
    const server = await startStdio(['--config', join(dir, 'bastion.yaml')], {
      cwd: dir,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', BASTION_STATE_DIR: makeTempDir() },
    });
    try {
      const result = (await server.client.callTool({ name: 'execute', arguments: { sql: `UPDATE items SET name = ${sqlText(LITERAL)} WHERE id = 1 AND name <> ?`, params: [SECRETS[2]!] } })) as CallToolResult;
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const span = await serverSpan(receiver, correlationOf(result));
      expect(span).toMatchObject({ name: 'tools/call execute', attributes: { 'gen_ai.tool.name': 'execute', 'bastion.decision': 'allow' } });
      const children = await childrenOf(receiver, span, 4);
      expect(children.get('sqlite')?.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'UPDATE', 'bastion.dry_run': true, 'bastion.affected_rows': 1 });
      expect(children.has('bastion.authorize')).toBe(true);
      expectNothingLeaked(receiver, [LITERAL, ...SECRETS]);
    } finally {
      await server.close();
      await receiver.close();
    }
  }, 60_000);
});

describe.skipIf(!postgres.ok)('traces over HTTP, OTLP protobuf (PostgreSQL source)', () => {
  let receiver: OtlpReceiver;
  let server: HttpBastion;
  let client: Client;
  let stateDir: string;
  const HEADER_TRACE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const HEADER_SPAN = '1122334455667788';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    server = await startHttp(['--db', PG_ADMIN_URL], {
      cwd: makeTempDir(),
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        BASTION_STATE_DIR: (stateDir = makeTempDir()),
      },
    });
    client = new Client({ name: 'telemetry-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { traceparent: `00-${HEADER_TRACE}-${HEADER_SPAN}-01` } } }));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await receiver?.close();
    await cleanup();
  });

  it('continues the trace of the HTTP traceparent header; the session id, protocol version and transport are attributes', async () => {
    const result = (await client.callTool({ name: 'query', arguments: { sql: `SELECT ${sqlText(LITERAL)} AS a, $1::text AS b`, params: [SECRETS[0]!] } })) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const span = await serverSpan(receiver, correlationOf(result));
    expect(span).toMatchObject({ traceId: HEADER_TRACE, parentSpanId: HEADER_SPAN, name: 'tools/call query', kind: 2 });
    expect(span.attributes).toMatchObject({ 'network.transport': 'tcp', 'network.protocol.name': 'http', 'mcp.session.id': client.transport?.sessionId ?? '' });
    expect(span.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const statement = (await childrenOf(receiver, span, 4)).get('postgresql')!;
    expect(statement.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.response.returned_rows': 1 });
    // The statement is named by its fingerprint only, the one its audit record keeps.
    const record = recordsOf(onlyChainText(stateDir)).find((r) => r['correlation_id'] === correlationOf(result));
    expect(record).toMatchObject({ trace_id: HEADER_TRACE });
    expect(statement.attributes['bastion.sql.fingerprint']).toBe(record?.['fingerprint']);
    expect(statement.attributes['bastion.sql.fingerprint']).toMatch(/^[0-9a-f]{8,}$/);
  });

  it('_meta.traceparent wins over the header', async () => {
    const result = (await client.callTool({ name: 'list_sources', arguments: {}, _meta: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } })) as CallToolResult;
    const span = await serverSpan(receiver, correlationOf(result));
    expect(span).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN });
  });

  it('a stateless 2026-07-28 request continues the trace of its traceparent header, or of its _meta.traceparent first; the envelope names the revision', async () => {
    const modernCall = async (meta: Record<string, unknown>, traceparent: string): Promise<CallToolResult> => {
      const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'list_sources', traceparent };
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_sources', arguments: {}, _meta: { ...envelope, ...meta } } });
      const res = await rawRequest(server.url, { method: 'POST', headers, body });
      expect(res.status, res.body).toBe(200);
      return (JSON.parse(res.body) as { result: CallToolResult }).result;
    };
    const MODERN_TRACE = '0123456789abcdef0123456789abcdef';
    const MODERN_SPAN = 'fedcba9876543210';
    const fromHeader = await serverSpan(receiver, correlationOf(await modernCall({}, `00-${MODERN_TRACE}-${MODERN_SPAN}-01`)));
    expect(fromHeader).toMatchObject({ traceId: MODERN_TRACE, parentSpanId: MODERN_SPAN, name: 'tools/call list_sources' });
    expect(fromHeader.attributes).toMatchObject({ 'mcp.protocol.version': '2026-07-28', 'network.protocol.name': 'http' });
    expect(fromHeader.attributes['mcp.session.id']).toBeUndefined();
    const fromMeta = await serverSpan(receiver, correlationOf(await modernCall({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }, `00-${MODERN_TRACE}-${MODERN_SPAN}-01`)));
    expect(fromMeta).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN });
  });

  it('initialize and a 2026-07-28 tools/list are server spans of their own, continuing the traceparent header', async () => {
    const initialize = await requestSpan(receiver, 'initialize', HEADER_TRACE);
    expect(initialize).toMatchObject({ parentSpanId: HEADER_SPAN, kind: 2, attributes: { 'mcp.method.name': 'initialize', 'network.transport': 'tcp', 'network.protocol.name': 'http' } });
    const LIST_TRACE = '6bf92f3577b34da6a3ce929d0e0e4738';
    const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', traceparent: `00-${LIST_TRACE}-${HEADER_SPAN}-01` };
    const res = await rawRequest(server.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: envelope } }) });
    expect(res.status, res.body).toBe(200);
    const list = await requestSpan(receiver, 'tools/list', LIST_TRACE);
    expect(list).toMatchObject({ parentSpanId: HEADER_SPAN, attributes: { 'mcp.method.name': 'tools/list', 'mcp.protocol.version': '2026-07-28', 'jsonrpc.request.id': '7', 'network.transport': 'tcp' } });
    expect(list.attributes['mcp.session.id']).toBeUndefined();

    // server/discover, and a request the SDK answers with a JSON-RPC error: error.type is its code, never its message.
    const DISCOVER_TRACE = '7bf92f3577b34da6a3ce929d0e0e4739';
    const post = (method: string, params: Record<string, unknown>, trace: string): Promise<{ status: number; body: string }> =>
      rawRequest(server.url, {
        method: 'POST',
        headers: { ...headers, 'mcp-method': method, traceparent: `00-${trace}-${HEADER_SPAN}-01` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 8, method, params: { ...params, _meta: envelope } }),
      });
    expect((await post('server/discover', {}, DISCOVER_TRACE)).status).toBe(200);
    expect(await requestSpan(receiver, 'server/discover', DISCOVER_TRACE)).toMatchObject({ statusCode: 0, attributes: { 'mcp.method.name': 'server/discover', 'mcp.protocol.version': '2026-07-28' } });
    const ERROR_TRACE = '8bf92f3577b34da6a3ce929d0e0e4730';
    const refused = await post('tools/list', { cursor: 5 }, ERROR_TRACE);
    expect(refused.body).toContain('"error"');
    const failed = await requestSpan(receiver, 'tools/list', ERROR_TRACE);
    expect(failed.statusCode).toBe(2);
    expect(failed.attributes['error.type']).toMatch(/^-?\d+$/);
  });

  it('metrics over OTLP protobuf: mcp.server.operation.duration over tcp for both eras; no literal or secret in any attribute', async () => {
    const legacy = await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'query', 'network.transport': 'tcp' });
    expect(legacy.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(legacy.count).toBeGreaterThanOrEqual(1);
    await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'list_sources', 'mcp.protocol.version': '2026-07-28' });
    await metricPoint(receiver, 'mcp.server.operation.duration', { 'mcp.method.name': 'tools/list', 'mcp.protocol.version': '2026-07-28', 'network.transport': 'tcp' });
    expect(receiver.metrics.find((m) => m.name === 'mcp.server.operation.duration')).toMatchObject({ kind: 'histogram', unit: 's' });
    expect((await metricPoint(receiver, 'bastion.sessions', {})).value).toBeGreaterThanOrEqual(1);
    await metricPoint(receiver, 'bastion.pool.connections', { 'bastion.source': 'main', 'bastion.pool.state': 'total' });
    expectNoMetricLeak(receiver, [LITERAL, ...SECRETS]);
    expectNothingLeaked(receiver, [LITERAL, ...SECRETS]);
  });

  it("a statement the database rejects with its value in the message: the span says the code, never the driver's text", async () => {
    const secret = SECRETS[1]!;
    const result = (await client.callTool({ name: 'query', arguments: { sql: `SELECT CAST(${sqlText(secret)} AS integer) AS n` } })) as CallToolResult;
    expect(result.isError).toBe(true);
    const span = await serverSpan(receiver, correlationOf(result));
    expect(span.attributes['error.type']).toBe('tool_error');
    const statement = (await childrenOf(receiver, span, 4)).get('postgresql')!;
    expect(statement.statusCode).toBe(2);
    expect(statement.attributes['error.type']).toMatch(/^[A-Z_]+$/);
    expectNothingLeaked(receiver, [LITERAL, ...SECRETS]);
  });
});

describe('traces to a collector that refuses them', () => {
  it('calls are answered; the failed exports are one warning a minute on stderr, not one per export', async () => {
    const refusing = await startOtlpReceiver(400);
    const server = await startStdio(['--db', `sqlite:${join(makeTempDir(), 'empty.db')}`], {
      cwd: makeTempDir(),
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: refusing.endpoint, OTEL_BSP_SCHEDULE_DELAY: '20', BASTION_STATE_DIR: makeTempDir() },
    });
    try {
      const warnings = (): Record<string, unknown>[] => parseLogLines(server.stderr()).filter((l) => String(l['msg']).startsWith('telemetry: spans or metrics could not be exported'));
      // One export per call (each waits for the previous export to arrive); the fourth arrives after the third was refused.
      for (let exports = 1; exports <= 4; exports++) {
        expect(((await server.client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult).isError).toBeFalsy();
        await expect.poll(() => refusing.bodies.length, POLL).toBeGreaterThanOrEqual(exports);
      }
      await expect.poll(() => warnings().length, POLL).toBeGreaterThan(0);
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]?.['level']).toBe(40);
    } finally {
      await server.close();
      await refusing.close();
    }
  }, 60_000);
});
