/**
 * The plan-cost guard (limits.max_plan_cost / max_plan_rows): a query the planner estimates
 * over a bound is refused before it runs, judged on the statement as it would run (the role's
 * rebuilt text, the call's own parameter values), and audited as a denial. By effect: the
 * refused statements would fail on their very first row (a division by zero), so an answer of
 * PLAN_TOO_COSTLY instead of that error shows no row was ever computed; the same statement
 * bounded by a LIMIT passes the guard and does fail that way.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { closeContext, contextFor } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import type { Principal } from '../../src/session/context.js';
import { recordsOf } from '../helpers/audit-chains.js';
import { errorCode, openSession, rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const CONFIG = {
  limits: { max_plan_cost: 100_000, max_plan_rows: 100_000 },
  metrics: { enabled: true },
  roles: { analyst: { tools: ['query', 'explain'], tables: { allow: ['public.plan_*'] }, columns: { mask: { 'public.plan_items.label': 'hash' } } } },
};
const SETUP = [
  "CREATE TABLE plan_items AS SELECT g AS id, md5(g::text) AS label FROM generate_series(1, 1000) AS g",
  'CREATE UNIQUE INDEX plan_items_id ON plan_items (id)',
  'ANALYZE plan_items',
];
/** About 1e9 rows, each dividing by zero: it fails at its first row if it ever runs. */
const CARTESIAN = 'SELECT 1 / (a.id - a.id) AS boom FROM plan_items a, plan_items b, plan_items c';

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

pgFamilySuites('the plan-cost guard', CONFIG, ADMIN, SETUP, (env) => {
  it('refuses a cartesian product estimated over max_plan_cost before its first row is computed', async () => {
    const refused = await env().bastion.call('query', { sql: CARTESIAN });
    expect(errorCode(refused)).toBe('PLAN_TOO_COSTLY');
    expect(textOf(refused)).toMatch(/estimates this statement at a cost of [\d,]+ \(limits\.max_plan_cost is 100,000\), so it was not run/);
    expect(textOf(refused)).toContain('raise limits.max_plan_cost');
    // The same rows under a LIMIT are cheap to plan, pass the guard, run, and fail at the first row.
    const ran = await env().bastion.call('query', { sql: `${CARTESIAN} LIMIT 1` });
    expect(errorCode(ran)).toBe('QUERY_FAILED');
    expect(textOf(ran)).toContain('22012');
  });

  it('refuses a series estimated over max_plan_rows, and answers statements within both bounds', async () => {
    const refused = await env().bastion.call('query', { sql: 'SELECT 1 / (g - g) FROM generate_series(1, 1000000) AS g' });
    expect(errorCode(refused)).toBe('PLAN_TOO_COSTLY');
    expect(textOf(refused)).toMatch(/at 1,000,000 rows \(limits\.max_plan_rows is 100,000\)/);
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT label FROM plan_items WHERE id = $1', params: [7] }))).toEqual([[md5Of7]]);
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT count(*)::int FROM plan_items' }))).toEqual([[1000]]);
  });

  it('reads a result of many batches whole, and answers a statement the planner rejects as without the guard', async () => {
    const rows = rowsOf(await env().bastion.call('query', { sql: 'SELECT g FROM generate_series(1, 900) AS g' }));
    expect(rows).toHaveLength(900);
    expect(rows[899]).toEqual([900]);
    // Folded while planning: the EXPLAIN itself fails, with the database's own error.
    const failed = await env().bastion.call('query', { sql: 'SELECT 1 / 0' });
    expect(errorCode(failed)).toBe('QUERY_FAILED');
    expect(textOf(failed)).toContain('22012');
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT 2 AS two' }))).toEqual([[2]]);
  });

  it('judges a statement with its own parameter values', async () => {
    const sql = 'SELECT 1 / (g - g + $2) AS v FROM generate_series(1, $1::int) AS g';
    // The same text: a few rows pass and run; five million are refused before the first divides by zero.
    expect(rowsOf(await env().bastion.call('query', { sql, params: [3, 1] }))).toEqual([[1], [1], [1]]);
    const refused = await env().bastion.call('query', { sql, params: [5_000_000, 0] });
    expect(errorCode(refused)).toBe('PLAN_TOO_COSTLY');
    expect(textOf(refused)).toContain('5,000,000 rows');
    expect(errorCode(await env().bastion.call('query', { sql, params: [3, 0] }))).toBe('QUERY_FAILED');
  });

  it('leaves a denial in the audit trail and the denials metric for each refusal', async () => {
    const refused = await env().bastion.call('query', { sql: CARTESIAN });
    const correlationId = (refused._meta?.['bastion/error'] as { correlation_id?: string } | undefined)?.correlation_id;
    expect(correlationId).toBeTruthy();
    const records = recordsOf(readFileSync(join(env().bastion.auditDir, 'audit.jsonl'), 'utf8'));
    const record = records.find((r) => r['correlation_id'] === correlationId);
    expect(record).toMatchObject({ tool: 'query', decision: 'deny', outcome: 'denied', reason: 'PLAN_TOO_COSTLY', source: 'main' });
    expect(typeof record?.['fingerprint']).toBe('string');
    expect((await env().bastion.ctx.metrics.render()).text).toMatch(/bastion_denials_total\{tool="query",reason="PLAN_TOO_COSTLY"\} [1-9]/);
  });

  it('plans the statement a role with column rules runs: rebuilt, with its mask key, under the same bound', async () => {
    const analyst = await openSession(env().bastion.ctx, ANALYST);
    try {
      const refused = await analyst.call('query', { sql: CARTESIAN });
      expect(errorCode(refused)).toBe('PLAN_TOO_COSTLY');
      const [[label]] = rowsOf(await analyst.call('query', { sql: 'SELECT label FROM plan_items WHERE id = $1', params: [7] })) as [[unknown]];
      expect(typeof label).toBe('string');
      expect(label).not.toBe(md5Of7);
      expect(errorCode(await analyst.call('query', { sql: `${CARTESIAN} LIMIT 1` }))).toBe('QUERY_FAILED');
    } finally {
      await analyst.close();
    }
  });

  it('refuses a governed change whose plan costs over max_plan_cost before it runs, dry run included', async () => {
    // Each joined row would divide by zero: run, the dry run fails at its first row.
    const sql = 'UPDATE plan_items SET label = (1 / (a.id - a.id))::text FROM plan_items a, plan_items b WHERE plan_items.id > 0';
    const refused = await env().bastion.call('execute', { sql });
    expect(errorCode(refused)).toBe('PLAN_TOO_COSTLY');
    expect(textOf(refused)).toContain('limits.max_plan_cost');
    const ran = await env().bastion.call('execute', { sql: 'UPDATE plan_items SET label = (1 / (a.id - a.id))::text FROM plan_items a WHERE plan_items.id = 1 AND a.id = 1' });
    expect(errorCode(ran)).toBe('QUERY_FAILED');
    expect(textOf(ran)).toContain('22012');
    const within = await env().bastion.call('execute', { sql: "UPDATE plan_items SET label = 'seven' WHERE id = $1", params: [7] });
    expect(within.structuredContent).toMatchObject({ dry_run: true, affected_rows: 1, committed: false });
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT label FROM plan_items WHERE id = 7' }))).toEqual([[md5Of7]]);
  });

  it('leaves the explain tool and an EXPLAIN through query alone: they run nothing', async () => {
    expect(rowsOf(await env().bastion.call('explain', { sql: `EXPLAIN ${CARTESIAN}` })).length).toBeGreaterThan(0);
    expect(rowsOf(await env().bastion.call('query', { sql: `EXPLAIN (FORMAT JSON) ${CARTESIAN}` })).length).toBe(1);
  });
});

describe('the plan-cost guard on an engine without a cost model', () => {
  /** The warnings a server logs at start with `limits` on one SQLite source. */
  async function startWarnings(limits: Record<string, number>): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-plan-guard-'));
    const file = join(dir, 'data.db');
    new Database(file).close();
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString('utf8')), done()) });
    const config = configSchema.parse({ sources: { lite: { engine: 'sqlite', path: file } }, limits, audit: { enabled: false }, state: { dir } });
    const ctx = await contextFor(config, pino({ level: 'warn' }, sink));
    await closeContext(ctx);
    rmSync(dir, { recursive: true, force: true });
    return lines;
  }

  it('names the SQLite source in a warning at start, never ignoring the setting silently', async () => {
    const warned = (await startWarnings({ max_plan_rows: 1000 })).filter((line) => line.includes('max_plan_cost and max_plan_rows apply to PostgreSQL and PGlite'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('lite (sqlite)');
    expect((await startWarnings({})).some((line) => line.includes('max_plan_cost'))).toBe(false);
  });
});

/** md5('7'), the label of row 7 as stored. */
const md5Of7 = '8f14e45fceea167a5a36dedd4bea2543';
