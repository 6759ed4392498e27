/**
 * The audit stage wired into the request path: every tool call — allowed, denied by
 * policy or role, refused by the schema, rate-limited or failed — leaves exactly one
 * record, written before the answer, carrying who, what and how it ended but not the
 * values that were sent. A call whose record cannot be kept gets no answer.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { indexedGenesis, listAuditChains, verifyAuditLog } from '../../src/audit/index.js';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';

const DEMO = { sources: { demo: { engine: 'pglite' } } };
const READER = { id: 'key:reader-1', kind: 'api_key', role: 'reader', scopes: [] } as const;

let bastion: TestBastion | undefined;
afterEach(async () => {
  await bastion?.close();
  bastion = undefined;
});

type Row = Record<string, unknown> & { seq: number; tool?: string; outcome: string; decision: string; reason?: string };

async function records(dir: string): Promise<Row[]> {
  const text = await readFile(join(dir, 'audit.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Row);
}

function metaCorrelation(result: { _meta?: Record<string, unknown> | undefined }): unknown {
  const meta = result._meta ?? {};
  return meta['bastion/correlation_id'] ?? (meta['bastion/error'] as { correlation_id?: unknown } | undefined)?.correlation_id;
}

describe('one audit record per tool call', () => {
  it('records an allowed query with principal, session, fingerprint, shape, rows and bytes, but no values', async () => {
    bastion = await startBastion(DEMO, READER);
    const secretish = 'zebra-canary-4471';
    const result = await bastion.call('query', { sql: `SELECT name FROM shop.customers WHERE name <> '${secretish}' ORDER BY id LIMIT 3`, params: [] });
    expect(rowsOf(result)).toHaveLength(3);
    const [record] = await records(bastion.auditDir);
    expect(record).toMatchObject({
      seq: 1,
      principal: { id: 'key:reader-1', kind: 'api_key', role: 'reader' },
      tool: 'query',
      source: 'demo',
      decision: 'allow',
      outcome: 'ok',
      rows: 3,
      args_shape: { sql: expect.stringMatching(/^string\(\d+\)$/), params: { array: 0, items: [] } },
    });
    expect(record?.['fingerprint']).toMatch(/^[0-9a-f]{16}$/);
    expect(record?.['bytes']).toBeGreaterThan(0);
    expect(typeof record?.['session']).toBe('string');
    expect(typeof record?.['instance']).toBe('string');
    expect(record?.['correlation_id']).toBe(metaCorrelation(result));
    // The effect that matters: what was asked is not in the audit log.
    expect(await readFile(join(bastion.auditDir, 'audit.jsonl'), 'utf8')).not.toContain(secretish);
  });

  it('gives statements that differ only in constants the same fingerprint', async () => {
    bastion = await startBastion(DEMO, READER);
    await bastion.call('query', { sql: 'SELECT id FROM shop.customers WHERE id = 1' });
    await bastion.call('query', { sql: 'select id from shop.customers where id = 42' });
    await bastion.call('query', { sql: 'SELECT name FROM shop.customers WHERE id = 1' });
    const [a, b, c] = await records(bastion.auditDir);
    expect(a?.['fingerprint']).toBe(b?.['fingerprint']);
    expect(c?.['fingerprint']).not.toBe(a?.['fingerprint']);
  });

  it('records every kind of refusal, each with its reason, and the chain verifies', async () => {
    bastion = await startBastion({ ...DEMO, roles: { narrow: { tools: ['query', 'list_sources'] } } }, { ...READER, role: 'narrow' });
    const calls: [string, Record<string, unknown>, string][] = [
      ['query', { sql: 'DELETE FROM shop.customers' }, 'SQL_NOT_READ_ONLY'],
      ['query', { sql: 'SELECT 1; DROP TABLE shop.customers' }, 'SQL_MULTIPLE_STATEMENTS'],
      ['query', { sql: 'SELECT pg_read_file($1)', params: ['/etc/passwd'] }, 'SQL_FUNCTION_DENIED'],
      ['query', { sql: 42 }, 'INVALID_ARGUMENT'],
      ['query', { sql: 'SELECT 1', source: 'Not A Source' }, 'INVALID_ARGUMENT'],
      ['query', { sql: 'SELECT 1', source: 'elsewhere' }, 'SOURCE_NOT_FOUND'],
      ['describe_table', { table: 'shop.customers' }, 'TOOL_NOT_ALLOWED'],
      ['drop_everything', {}, 'TOOL_NOT_ALLOWED'],
      ['query', { sql: 'SELECT no_such_column FROM shop.customers' }, 'QUERY_FAILED'],
    ];
    for (const [tool, args, code] of calls) expect(errorCode(await bastion.call(tool, args))).toBe(code);
    const rows = await records(bastion.auditDir);
    expect(rows.map((r) => r.reason)).toEqual(calls.map(([, , code]) => code));
    expect(rows.map((r) => r.tool)).toEqual(['query', 'query', 'query', 'query', 'query', 'query', 'describe_table', 'drop_everything', 'query']);
    expect(rows.slice(0, 8).every((r) => r.decision === 'deny' && r.outcome === 'denied')).toBe(true);
    expect(rows[8]).toMatchObject({ decision: 'allow', outcome: 'error' });
    // A denied statement still has its fingerprint; one that does not parse has none.
    expect(rows[0]?.['fingerprint']).toMatch(/^[0-9a-f]{16}$/);
    // The refused argument's value ('/etc/passwd') is not recorded.
    expect(JSON.stringify(rows)).not.toContain('/etc/passwd');
    // The chain starts from the genesis its entry in the folder's chain index names.
    const genesis = await indexedGenesis(dirname(dirname(bastion.auditDir)), basename(bastion.auditDir));
    expect(await verifyAuditLog({ dir: bastion.auditDir, genesis })).toMatchObject({ ok: true, records: calls.length });
  });

  it('records rate-limited calls as such', async () => {
    bastion = await startBastion({ ...DEMO, rate_limits: { per_principal_per_minute: 2 } }, READER);
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(errorCode(await bastion.call('list_sources', {})));
    expect(codes).toEqual([undefined, undefined, 'RATE_LIMITED', 'RATE_LIMITED']);
    const rows = await records(bastion.auditDir);
    expect(rows.map((r) => r.outcome)).toEqual(['ok', 'ok', 'rate_limited', 'rate_limited']);
    expect(rows[2]).toMatchObject({ decision: 'deny', reason: 'RATE_LIMITED' });
  });

  it('withholds the answer when its record cannot be written (fail closed)', async () => {
    bastion = await startBastion(DEMO, READER);
    const sql = 'SELECT name FROM shop.customers ORDER BY id LIMIT 1';
    const [[name]] = rowsOf(await bastion.call('query', { sql })) as [[string]];
    // The sink goes away under the running server: every later append is refused.
    await bastion.ctx.audit.close();
    const result = await bastion.call('query', { sql });
    expect(errorCode(result)).toBe('AUDIT_UNAVAILABLE');
    expect(result.structuredContent).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain(name);
    expect((await records(bastion.auditDir)).map((r) => r.outcome)).toEqual(['ok']);
  });

  it('records nothing and warns when the operator turns audit off', async () => {
    bastion = await startBastion({ ...DEMO, audit: { enabled: false } }, READER);
    expect(bastion.ctx.audit.enabled).toBe(false);
    await bastion.call('list_sources', {});
    // No chain anywhere in the folder: neither audit.jsonl nor an audit/<instance>/ chain.
    expect(await listAuditChains(bastion.auditDir)).toEqual([]);
  });
});
