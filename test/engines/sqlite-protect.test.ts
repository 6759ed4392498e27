/**
 * SQLite column security by construction (SqliteGuard.protect, worker-shadow.ts) and window
 * functions through the guard (windows.ts): masks computed in SQLite equal the output masks
 * of src/shape/mask.ts value for value; roles with different rules on one source never see
 * each other's views; `main.<table>` cannot reach past the shadow; and the re-spelling of
 * windows for the parser hides no relation, call or write from the guard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRole, type Role } from '../../src/authorize/roles.js';
import { authorizeRead } from '../../src/authorize/statement.js';
import type { SqliteSourceConfig } from '../../src/config/schema.js';
import type { EngineParts } from '../../src/engine/parts.js';
import type { ReadResult } from '../../src/engine/source.js';
import { openSqliteEngine } from '../../src/engines/sqlite/index.js';
import { maskValue } from '../../src/engines/sqlite/worker-shadow.js';
import { createLogger } from '../../src/log/logger.js';
import { maskDomain } from '../../src/engine/mask-hash.js';
import { applyMasks, maskHashKey } from '../../src/shape/mask.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-sqlite-protect-'));
const dbPath = join(dir, 'p.db');
const CAPS = { maxRows: 1000, maxBytes: 1 << 20 };
const SECRET = 'planted.secret@corp.example';

function role(name: string, mask: Record<string, 'partial' | 'hash' | 'null'>, deny: string[] = []): Role {
  return compileRole(name, { tools: ['query'], sources: ['*'], tables: { allow: ['main.*'], deny: ['main.hidden'] }, columns: { deny, mask }, approval: {} });
}

describe('SQLite column security by construction', () => {
  let engine: EngineParts;

  beforeAll(async () => {
    ensureWorkerBuilt();
    const db = new Database(dbPath);
    db.exec(`
      CREATE TABLE people (id INTEGER PRIMARY KEY, "Email" TEXT, n INTEGER, r REAL, b BLOB, t TEXT, big INTEGER);
      CREATE TABLE hidden (id INTEGER PRIMARY KEY, token TEXT);
      CREATE TABLE orders (id INTEGER PRIMARY KEY, person_id INTEGER, amount REAL);
    `);
    const insert = db.prepare('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?)');
    insert.run(1, SECRET, 713705, 120.5, Buffer.from([1, 2, 255]), 'x', 9007199254740993n);
    insert.run(2, '@lead', -4, 0.1, Buffer.alloc(0), '', 0);
    insert.run(3, null, null, null, null, null, null);
    insert.run(4, 'é@ü.example', 7, 1e21, Buffer.from('a'), 'ab', -9007199254740993n);
    db.prepare('INSERT INTO hidden VALUES (1, ?)').run('tok_hidden_1');
    for (let i = 1; i <= 6; i++) db.prepare('INSERT INTO orders VALUES (?, ?, ?)').run(i, (i % 4) + 1, i * 10);
    db.close();
    const config = { engine: 'sqlite', path: dbPath, statement_timeout_ms: 10_000, queue_timeout_ms: 5_000, worker_memory_mb: 1024, worker_heap_mb: 512, writes: { enabled: false, prefix: 'ai_', allow_unbounded: false } } as unknown as SqliteSourceConfig;
    engine = await openSqliteEngine('p', config, createLogger('silent'));
  });
  afterAll(async () => {
    await engine.source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The statement as `who` runs it through authorize and protect (the query tool's path). */
  async function runAs(who: Role, sql: string): Promise<ReadResult> {
    const checked = engine.guard.checkRead(sql, 'query');
    const authorized = await authorizeRead(who, checked, engine.catalog, { byConstruction: true });
    const run = engine.guard.protect?.(checked, authorized.protection, maskHashKey());
    if (run === undefined) throw new Error('SqliteGuard has no protect');
    return applyMasks(await engine.source.read({ sql: run.sql, params: [...run.params], shadows: run.shadows, ...CAPS }), authorized);
  }

  it.each(['partial', 'hash'] as const)('the %s mask computed by SQLite equals the output mask of shape/mask.ts for every value type', async (kind) => {
    const columns = ['email', 'n', 'r', 'b', 't', 'big'];
    const masked = await runAs(role(`all-${kind}`, Object.fromEntries(columns.map((c) => [`main.people.${c}`, kind]))), `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM people ORDER BY id`);
    const raw = await engine.source.read({ sql: `SELECT ${columns.join(', ')} FROM people ORDER BY id`, params: [], ...CAPS });
    const plan = { columns: columns.map((column, i) => ({ tableOid: 1, attnum: i + 1, kind, domain: maskDomain('main', 'people', column) })) };
    const expected = applyMasks({ ...raw, columns: raw.columns.map((c, i) => ({ ...c, origin: { tableOid: 1, attnum: i + 1 } })) }, plan);
    expect(masked.rows).toEqual(expected.rows);
    expect(JSON.stringify(masked.rows)).not.toContain('planted');
  });

  it('maskValue is the hash of shape/mask.ts under the process key', () => {
    const key = Buffer.from(maskHashKey());
    const domain = maskDomain('main', 'people', 'email');
    const plan = { columns: [{ tableOid: 1, attnum: 1, kind: 'hash' as const, domain }] };
    const viaOutput = applyMasks({ columns: [{ name: 'x', type: 'text', origin: { tableOid: 1, attnum: 1 } }], rows: [[SECRET]], truncated: false, bytes: 0 }, plan);
    expect(maskValue(SECRET, 'hash', key, domain)).toBe(viaOutput.rows[0]?.[0]);
    // Another column's domain gives another hash: values chosen in one column cannot be looked up in another.
    expect(maskValue(SECRET, 'hash', key, maskDomain('main', 'people', 'phone'))).not.toBe(viaOutput.rows[0]?.[0]);
  });

  it('a denied column does not exist and a masked one is its mask in filters, orderings and joins', async () => {
    const analyst = role('analyst', { 'main.people.email': 'partial' }, ['main.people.n']);
    await expect(runAs(analyst, 'SELECT n FROM people')).rejects.toMatchObject({ code: 'QUERY_FAILED' });
    const filtered = await runAs(analyst, "SELECT id FROM people WHERE email LIKE 'planted%' OR email = 'p***@corp.example' ORDER BY email");
    expect(filtered.rows).toEqual([[1]]);
    const joined = await runAs(analyst, 'SELECT p.email, sum(o.amount) OVER (PARTITION BY p.id) FROM main.people p JOIN orders o ON o.person_id = p.id WHERE p.id = 1');
    expect(joined.rows).toEqual([['p***@corp.example', 40]]);
  });

  it.each([
    'SELECT Email FROM main.people',
    'SELECT "Email" FROM "main"."people"',
    'SELECT [Email] FROM [MAIN].[People]',
    'SELECT Email FROM main /* c */ . people',
    'SELECT main.people.Email FROM main.people',
    "SELECT Email FROM 'main'.'people'",
    "SELECT Email FROM 'main'.people",
    'WITH people AS (SELECT * FROM main.people) SELECT Email FROM people',
  ])('main.<table> is read through the shadow too: %s', async (sql) => {
    const result = await runAs(role('analyst', { 'main.people.email': 'partial' }), sql);
    expect(JSON.stringify(result.rows)).not.toContain('planted');
    expect(result.rows[0]).toEqual(['p***@corp.example']);
  });

  it('roles with different rules on one source, called at once, each see only their own views; a role without rules sees the table', async () => {
    const partial = role('p', { 'main.people.email': 'partial' });
    const hash = role('h', { 'main.people.email': 'hash' });
    const open = role('o', {});
    const sql = 'SELECT email FROM people WHERE id = 1';
    const answers = await Promise.all([0, 1, 2].flatMap(() => [runAs(partial, sql), runAs(hash, sql), runAs(open, sql)]));
    const values = answers.map((a) => a.rows[0]?.[0]);
    for (let i = 0; i < values.length; i += 3) {
      expect(values[i]).toBe('p***@corp.example');
      expect(values[i + 1]).toMatch(/^hmac:[0-9a-f]{16}$/);
      expect(values[i + 2]).toBe(SECRET);
    }
  });

  it('the shadow views and mask functions cannot be named by a statement', () => {
    for (const sql of ['SELECT * FROM temp.people', 'SELECT sql FROM sqlite_temp_master', "SELECT bastion_mask_partial('x')", 'SELECT "bastion_mask_hash"(email) FROM people']) {
      expect(() => engine.guard.checkRead(sql, 'query'), sql).toThrow();
    }
  });

  describe('windows pass the guard and hide nothing from it', () => {
    it.each([
      'SELECT sum(amount) OVER (ORDER BY id) FROM orders',
      'SELECT id, lag(amount) OVER w, lead(amount) OVER w FROM orders WINDOW w AS (ORDER BY id)',
      'SELECT id, avg(amount) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM orders',
      'SELECT id, count(*) FILTER (WHERE amount > 20) OVER (PARTITION BY person_id ORDER BY id GROUPS UNBOUNDED PRECEDING EXCLUDE TIES) FROM orders',
      'SELECT row_number() OVER (), ntile(2) OVER () FROM orders',
    ])('accepts and runs %s', async (sql) => {
      const checked = engine.guard.checkRead(sql, 'query');
      expect(checked.relations.map((r) => r.name)).toEqual(['orders']);
      const result = await engine.source.read({ sql: checked.sql, params: [], ...CAPS });
      expect(result.rows.length).toBe(6);
    });

    it.each([
      ['a denied table in OVER (ORDER BY ...)', 'SELECT sum(amount) OVER (ORDER BY (SELECT max(token) FROM hidden)) FROM orders'],
      ['a denied table in a WINDOW clause', 'SELECT rank() OVER w FROM orders WINDOW w AS (PARTITION BY (SELECT token FROM hidden))'],
      ['a denied table in FILTER', 'SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM hidden)) OVER () FROM orders'],
      ['a denied table in an aggregate ORDER BY', 'SELECT group_concat(id ORDER BY (SELECT token FROM hidden)) FROM orders'],
      ['a denied table in a frame bound', 'SELECT sum(amount) OVER (ORDER BY id ROWS (SELECT count(*) FROM hidden) PRECEDING) FROM orders'],
      ['a denied table after INTERSECT', 'SELECT id FROM orders INTERSECT SELECT id FROM hidden'],
      ['a denied table after EXCEPT', 'SELECT id FROM orders EXCEPT SELECT id FROM main.hidden'],
      ['a denied table in a RIGHT JOIN', 'SELECT o.id FROM orders o RIGHT JOIN hidden h ON h.id = o.id'],
      ['a denied table in a FULL OUTER JOIN', 'SELECT o.id FROM orders o FULL OUTER JOIN hidden h ON h.id = o.id'],
      ['a denied table in a MATERIALIZED CTE', 'WITH x AS MATERIALIZED (SELECT token FROM hidden) SELECT * FROM x'],
      ['a denied table named main.table.column', 'SELECT main.hidden.token FROM main.hidden'],
    ])('a role is refused %s', async (_name, sql) => {
      const checked = engine.guard.checkRead(sql, 'query');
      expect(checked.relations.map((r) => r.name)).toContain('hidden');
      await expect(authorizeRead(role('w', {}), checked, engine.catalog, { byConstruction: true })).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
    });

    it.each([
      ['a write in a window', 'SELECT sum(amount) OVER (ORDER BY (DELETE FROM orders)) FROM orders'],
      ['an unlisted function in a window', "SELECT sum(amount) OVER (PARTITION BY load_extension('x')) FROM orders"],
      ['the schema table in a WINDOW clause', 'SELECT rank() OVER w FROM orders WINDOW w AS (ORDER BY (SELECT sql FROM sqlite_master))'],
      ['an unlisted function in FILTER', "SELECT count(*) FILTER (WHERE readfile('/etc/passwd') IS NULL) FROM orders"],
      ['a table-valued pragma named by a string', "SELECT * FROM 'pragma_table_info'('orders')"],
      ['the schema table named by strings', "SELECT sql FROM 'main'.'sqlite_schema'"],
    ])('the guard refuses %s', (_name, sql) => {
      expect(() => engine.guard.checkRead(sql, 'query')).toThrow();
    });
  });
});
