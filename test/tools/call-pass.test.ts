/**
 * One pass per call: a tool call resolves its source once and hands the statement its
 * guard accepted, with its fingerprint, on to the audit record. The audit neither looks
 * the source up again nor fingerprints an accepted statement a second time, and every
 * record carries the fingerprint the source's own guard gives the text: allowed,
 * refused by the policy or the role, rate limited, or for a source the role may not use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ReadGuard } from '../../src/engine/parts.js';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';

let dir: string;
let sources: Record<string, unknown>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-call-pass-'));
  const file = join(dir, 'lite.db');
  const db = new Database(file);
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES ('a');");
  db.close();
  sources = { demo: { engine: 'pglite' }, lite: { engine: 'sqlite', path: file } };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let bastion: TestBastion | undefined;
afterEach(async () => {
  await bastion?.close();
  bastion = undefined;
});

type Row = Record<string, unknown> & { tool?: string; reason?: string; source?: string; fingerprint?: string };

async function records(auditDir: string): Promise<Row[]> {
  const text = await readFile(join(auditDir, 'audit.jsonl'), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as Row);
}

function guardOf(b: TestBastion, name: string): ReadGuard {
  const guard = b.ctx.sources.get(name)?.guard;
  if (guard === undefined) throw new Error(`no source ${name}`);
  return guard;
}

describe('one pass per call', () => {
  it('records the fingerprint the source guard gives the text, for every way a call ends', async () => {
    bastion = await startBastion({
      sources,
      roles: { lite_only: { tools: ['query', 'list_sources'], sources: ['lite'] } },
    });
    const b = bastion;
    const calls: [Record<string, unknown>, string | undefined][] = [
      [{ source: 'demo', sql: 'SELECT id FROM shop.customers WHERE id = 7' }, undefined],
      [{ source: 'demo', sql: 'DELETE FROM shop.customers' }, 'SQL_NOT_READ_ONLY'],
      [{ source: 'demo', sql: 'SELECT 1; SELECT 2' }, 'SQL_MULTIPLE_STATEMENTS'],
      [{ source: 'demo', sql: 'SELEC nothing' }, 'SQL_PARSE_ERROR'],
      [{ source: 'demo', sql: 'SELECT 1 AS one', params: [1] }, 'INVALID_ARGUMENT'],
      [{ source: 'lite', sql: 'SELECT name FROM items' }, undefined],
      [{ source: 'nowhere', sql: 'SELECT 1' }, 'SOURCE_NOT_FOUND'],
      // Two sources visible and none named: no source, so no fingerprint.
      [{ sql: 'SELECT 1' }, 'INVALID_ARGUMENT'],
    ];
    for (const [args, code] of calls) expect(errorCode(await b.call('query', args)), JSON.stringify(args)).toBe(code);
    const rows = await records(b.auditDir);
    expect(rows.map((r) => r.reason)).toEqual(calls.map(([, code]) => code));
    const expected = calls.map(([args]) => {
      const source = args['source'] as string | undefined;
      return source === undefined ? undefined : b.ctx.sources.get(source)?.guard.fingerprint?.(args['sql'] as string);
    });
    expect(rows.map((r) => r.fingerprint)).toEqual(expected);
    // PostgreSQL text has one (parse errors aside); SQLite's engine gives none.
    expect(rows[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(rows[1]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(rows[3]?.fingerprint).toBeUndefined();
    expect(rows[5]?.fingerprint).toBeUndefined();
    expect(rows.map((r) => r.source)).toEqual(['demo', 'demo', 'demo', 'demo', 'demo', 'lite', 'nowhere', undefined]);
  });

  it('fingerprints a source the role may not use, and the only one it sees when none is named', async () => {
    bastion = await startBastion(
      { sources, roles: { lite_only: { tools: ['query'], sources: ['lite'] } } },
      { id: 'key:lite', kind: 'api_key', role: 'lite_only', scopes: [] },
    );
    const sql = 'SELECT id FROM shop.customers';
    expect(errorCode(await bastion.call('query', { source: 'demo', sql }))).toBe('SOURCE_NOT_FOUND');
    expect(errorCode(await bastion.call('query', { sql: 'SELECT name FROM items' }))).toBeUndefined();
    const [hidden, only] = await records(bastion.auditDir);
    expect(hidden).toMatchObject({ source: 'demo', reason: 'SOURCE_NOT_FOUND', fingerprint: guardOf(bastion, 'demo').fingerprint?.(sql) });
    expect(hidden?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(only).toMatchObject({ source: 'lite' });
    expect(only?.fingerprint).toBeUndefined();
  });

  it('rate limits before it checks the source, and records the statement’s fingerprint all the same', async () => {
    bastion = await startBastion({ sources, rate_limits: { per_principal_per_minute: 1 } });
    const sql = 'SELECT id FROM shop.customers';
    expect(errorCode(await bastion.call('list_sources', {}))).toBeUndefined();
    expect(errorCode(await bastion.call('query', { source: 'nowhere', sql }))).toBe('RATE_LIMITED');
    expect(errorCode(await bastion.call('query', { source: 'demo', sql }))).toBe('RATE_LIMITED');
    const rows = await records(bastion.auditDir);
    expect(rows.slice(1).map((r) => [r.source, r.fingerprint])).toEqual([
      ['nowhere', undefined],
      ['demo', guardOf(bastion, 'demo').fingerprint?.(sql)],
    ]);
    expect(rows[2]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a call refused before its tool runs (unknown tool, arguments that fail the schema) spends the principal’s limit like any call, and is refused RATE_LIMITED once it is spent (found by an attacker)', async () => {
    bastion = await startBastion({ sources, rate_limits: { per_principal_per_minute: 3 } });
    expect(errorCode(await bastion.call('no_such_tool', {}))).toBe('TOOL_NOT_ALLOWED');
    expect(errorCode(await bastion.call('query', { sql: 5 }))).toBe('INVALID_ARGUMENT');
    expect(errorCode(await bastion.call('list_sources', {}))).toBeUndefined();
    expect(errorCode(await bastion.call('no_such_tool', {}))).toBe('RATE_LIMITED');
    expect(errorCode(await bastion.call('query', { sql: 'SELECT 1' }))).toBe('RATE_LIMITED');
    const rows = await records(bastion.auditDir);
    expect(rows.map((r) => [r.tool, r.reason])).toEqual([
      ['no_such_tool', 'TOOL_NOT_ALLOWED'],
      ['query', 'INVALID_ARGUMENT'],
      ['list_sources', undefined],
      ['no_such_tool', 'RATE_LIMITED'],
      ['query', 'RATE_LIMITED'],
    ]);
  });

  it('resolves the source once and takes an accepted statement’s fingerprint from its verdict', async () => {
    bastion = await startBastion({ sources: { demo: sources['demo'] } });
    const guard = guardOf(bastion, 'demo');
    const registry = bastion.ctx.sources;
    const pick = vi.spyOn(registry, 'pick');
    const get = vi.spyOn(registry, 'get');
    const resolve = vi.spyOn(registry, 'resolve');
    const fingerprint = vi.spyOn(guard as Required<ReadGuard>, 'fingerprint');

    expect(errorCode(await bastion.call('query', { sql: 'SELECT id FROM shop.customers WHERE id = 3' }))).toBeUndefined();
    expect(errorCode(await bastion.call('query', { sql: 'SELECT id FROM shop.customers WHERE id = 3' }))).toBeUndefined();
    expect(pick).toHaveBeenCalledTimes(2);
    expect(get).not.toHaveBeenCalled();
    expect(resolve).not.toHaveBeenCalled();
    expect(fingerprint).not.toHaveBeenCalled();
    // The verdict is cached with its fingerprint: the same statement hands out the same value.
    const checked = guard.checkRead('SELECT id FROM shop.customers WHERE id = 3', 'query');
    expect(checked.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(guard.checkRead('SELECT id FROM shop.customers WHERE id = 3', 'query')).toBe(checked);

    // Refused by the policy: the guard fingerprints the text, once.
    expect(errorCode(await bastion.call('query', { sql: 'DELETE FROM shop.customers' }))).toBe('SQL_NOT_READ_ONLY');
    expect(fingerprint).toHaveBeenCalledTimes(1);
    const rows = await records(bastion.auditDir);
    expect(rows[0]?.fingerprint).toBe(checked.fingerprint);
    expect(rows[1]?.fingerprint).toBe(rows[0]?.fingerprint);
  });

  it('keeps the fingerprint of a write the policy accepted and of one it refused', async () => {
    bastion = await startBastion({ sources: { demo: { engine: 'pglite', writes: { enabled: true } } } });
    const guard = guardOf(bastion, 'demo');
    const fingerprint = vi.spyOn(guard as Required<ReadGuard>, 'fingerprint');
    const accepted = "UPDATE shop.customers SET name = 'x' WHERE id = 1";
    const refused = 'UPDATE shop.customers SET name = 1';
    expect(errorCode(await bastion.call('execute', { sql: accepted }))).toBeUndefined();
    expect(fingerprint).not.toHaveBeenCalled();
    expect(errorCode(await bastion.call('execute', { sql: refused }))).toBeDefined();
    expect(fingerprint).toHaveBeenCalledTimes(1);
    fingerprint.mockRestore();
    const rows = await records(bastion.auditDir);
    expect(rows.map((r) => r.fingerprint)).toEqual([guard.fingerprint?.(accepted), guard.fingerprint?.(refused)]);
    expect(rows[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});
