/**
 * The SQLite write policy on its own (no database): what `execute` and
 * `change_schema` accept, with the fields the authorize stage and the engine
 * use, and what they refuse, with the code. The effects of writes on a real
 * file are in test/writes/sqlite.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../src/errors/codes.js';
import type { CheckedDdl, CheckedDml, WriteTool } from '../../src/engine/policy.js';
import { SqliteGuard } from '../../src/engines/sqlite/guard.js';
import { loadSqliteParser } from '../../src/engines/sqlite/parser.js';

const OPTIONS = { prefix: 'ai_', allowUnbounded: false };
let guard: SqliteGuard;

beforeAll(async () => {
  guard = new SqliteGuard(await loadSqliteParser());
});

function codeOf(sql: string, tool: WriteTool, options = OPTIONS): string {
  try {
    guard.planWrite(sql, tool, options);
    return 'ALLOWED';
  } catch (error) {
    return error instanceof BastionError ? error.code : `RAW ${String(error)}`;
  }
}

describe('execute on SQLite', () => {
  it('accepts one INSERT, UPDATE or DELETE on a table of main, with its reads and a RETURNING sample', () => {
    const insert = guard.planWrite('INSERT INTO items (name, qty) VALUES (?, ?)', 'execute', OPTIONS);
    const dml = insert.checked as CheckedDml;
    expect(dml).toMatchObject({ command: 'insert', target: { schema: undefined, name: 'items' }, paramCount: 2, hasReturning: false });
    expect(dml.sampleSql).toBe('INSERT INTO items (name, qty) VALUES (?, ?)\nRETURNING *');
    expect(insert.touches).toEqual([]);

    const update = guard.planWrite('UPDATE main.Items SET qty = qty + 1 WHERE id = ?1;', 'execute', OPTIONS).checked as CheckedDml;
    expect(update).toMatchObject({ command: 'update', target: { schema: 'main', name: 'items' }, paramCount: 1 });
    // The trailing `;` is cut before RETURNING, so the sample is still one statement.
    expect(update.sampleSql).toBe('UPDATE main.Items SET qty = qty + 1 WHERE id = ?1\nRETURNING *');

    const insertSelect = guard.planWrite('INSERT INTO archive SELECT id, name FROM items WHERE qty = 0 -- old ones', 'execute', OPTIONS).checked as CheckedDml;
    expect(insertSelect.reads.relations.map((r) => r.name)).toEqual(['archive', 'items']);
    expect(insertSelect.sampleSql).toBe('INSERT INTO archive SELECT id, name FROM items WHERE qty = 0\nRETURNING *');

    const del = guard.planWrite('DELETE FROM items WHERE id IN (SELECT item_id FROM returns WHERE upper(reason) = ?)', 'execute', OPTIONS).checked as CheckedDml;
    expect(del.reads.relations.map((r) => r.name).sort()).toEqual(['items', 'returns']);
    expect(del.reads.functions).toContain('upper');
  });

  it('UPDATE and DELETE need a WHERE naming a column unless allow_unbounded', () => {
    expect(codeOf('DELETE FROM items', 'execute')).toBe('WRITE_NOT_ALLOWED');
    expect(codeOf('UPDATE items SET qty = 0', 'execute')).toBe('WRITE_NOT_ALLOWED');
    expect(codeOf('DELETE FROM items WHERE 1 = 1', 'execute')).toBe('WRITE_NOT_ALLOWED');
    expect(codeOf('DELETE FROM items', 'execute', { prefix: 'ai_', allowUnbounded: true })).toBe('ALLOWED');
  });

  const refused: [string, string][] = [
    ['SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['REPLACE INTO items VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT OR REPLACE INTO items VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT OR IGNORE INTO items VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['UPDATE OR ROLLBACK items SET qty = 1 WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['INSERT INTO items VALUES (1) ON CONFLICT DO NOTHING', 'WRITE_NOT_ALLOWED'],
    ['INSERT INTO items VALUES (1) ON CONFLICT (id) DO UPDATE SET qty = 2', 'WRITE_NOT_ALLOWED'],
    ['WITH x AS (SELECT 1) DELETE FROM items WHERE id IN x', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM items WHERE id = 1 RETURNING *', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM items INDEXED BY ix WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['UPDATE items SET qty = 1 FROM other WHERE items.id = other.id', 'SQL_FEATURE_DENIED'],
    ['UPDATE items SET qty = 1 WHERE id > 1 ORDER BY id LIMIT 1', 'SQL_FEATURE_DENIED'],
    ['DELETE FROM items WHERE id > 1 LIMIT 5', 'SQL_FEATURE_DENIED'],
    ['UPDATE items AS i SET qty = 1 WHERE i.id = 1', 'SQL_FEATURE_DENIED'],
    ['DELETE FROM temp.items WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM other.items WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM sqlite_sequence WHERE name = 1', 'SQL_FEATURE_DENIED'],
    ['UPDATE sqlite_master SET sql = 1 WHERE name = 1', 'SQL_FEATURE_DENIED'],
    ['INSERT INTO ai_x SELECT * FROM sqlite_master', 'SQL_FEATURE_DENIED'],
    ['INSERT INTO ai_x SELECT name FROM pragma_table_info(1)', 'SQL_FEATURE_DENIED'],
    ["INSERT INTO items (name) VALUES (load_extension('/tmp/x.so'))", 'SQL_FUNCTION_DENIED'],
    ["INSERT INTO items (name) VALUES (readfile('/etc/passwd'))", 'SQL_FUNCTION_DENIED'],
    ["UPDATE items SET name = writefile('/tmp/x', 'y') WHERE id = 1", 'SQL_FUNCTION_DENIED'],
    ['UPDATE items SET blob = randomblob(1000000000) WHERE id = 1', 'SQL_FUNCTION_DENIED'],
    ["INSERT INTO items (name) VALUES (\"load_extension\"('x'))", 'SQL_FUNCTION_DENIED'],
    ["ATTACH '/tmp/x.db' AS y", 'WRITE_NOT_ALLOWED'],
    ['PRAGMA writable_schema = 1', 'WRITE_NOT_ALLOWED'],
    ['VACUUM', 'WRITE_NOT_ALLOWED'],
    ['BEGIN', 'WRITE_NOT_ALLOWED'],
    ['COMMIT', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_x (a)', 'WRITE_NOT_ALLOWED'],
    ['DROP TABLE items', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM items WHERE id = 1; DROP TABLE items', 'SQL_MULTIPLE_STATEMENTS'],
    ['DELETE FROM items WHERE id = 1 -- \n; DROP TABLE items', 'SQL_MULTIPLE_STATEMENTS'],
    ['DELETE FROM items WHERE id = 1 /* ; */ ; DELETE FROM items', 'SQL_MULTIPLE_STATEMENTS'],
    ['INSERT INTO items VALUES (:name)', 'SQL_FEATURE_DENIED'],
    ['INSERT INTO items DEFAULT VALUES', 'SQL_FEATURE_DENIED'],
    ['', 'SQL_PARSE_ERROR'],
  ];
  for (const [sql, code] of refused) {
    it(`refuses ${JSON.stringify(sql)} with ${code}`, () => {
      expect(codeOf(sql, 'execute')).toBe(code);
    });
  }

  it('keeps a `;` inside a string, and reads a quoted table name as SQLite does', () => {
    expect(codeOf("INSERT INTO items (name) VALUES ('a; DROP TABLE items')", 'execute')).toBe('ALLOWED');
    const quoted = guard.planWrite('DELETE FROM "Items" WHERE id = 1', 'execute', OPTIONS).checked as CheckedDml;
    expect(quoted.target.name).toBe('items');
    expect(guard.planWrite('DELETE FROM [items] WHERE id = 1', 'execute', OPTIONS).checked).toMatchObject({ target: { name: 'items' } });
  });
});

describe('change_schema on SQLite', () => {
  const plan = (sql: string) => guard.planWrite(sql, 'change_schema', OPTIONS);

  it('accepts CREATE TABLE, AS SELECT, VIEW and INDEX on prefixed names, with what they read and touch', () => {
    const table = plan('CREATE TABLE ai_t (id INTEGER PRIMARY KEY AUTOINCREMENT, a VARCHAR(20) NOT NULL DEFAULT \'x\', b DECIMAL(10,2) CHECK (b > 0), p INT REFERENCES ai_p(id) ON DELETE CASCADE) STRICT');
    expect(table.checked).toMatchObject({ kind: 'create_table', object: { schema: undefined, name: 'ai_t', type: 'table' } });
    expect((table.checked as CheckedDdl).references.map((r) => r.name)).toEqual(['ai_p']);
    expect(table.touches).toEqual(['ai_t']);

    const asSelect = plan('CREATE TABLE main.ai_summary AS SELECT category, count(*) AS n FROM items GROUP BY category');
    expect(asSelect.checked).toMatchObject({ kind: 'create_table_as', object: { schema: 'main', name: 'ai_summary' } });
    expect(asSelect.checked.reads.relations.map((r) => r.name)).toEqual(['items']);

    const view = plan('CREATE VIEW IF NOT EXISTS ai_v (x) AS SELECT name FROM items WHERE qty > 0');
    expect(view.checked).toMatchObject({ kind: 'create_view', object: { name: 'ai_v', type: 'view' } });
    expect(view.checked.reads.relations.map((r) => r.name)).toEqual(['items']);

    const index = plan('CREATE UNIQUE INDEX ai_t_a ON ai_t (lower(a)) WHERE b > 0');
    expect(index.checked).toMatchObject({ kind: 'create_index', object: { name: 'ai_t_a', type: 'index' }, table: { name: 'ai_t' } });
    expect([...index.touches].sort()).toEqual(['ai_t', 'ai_t_a']);
  });

  it('accepts ALTER TABLE and a single DROP of a prefixed object', () => {
    expect(plan('ALTER TABLE ai_t ADD COLUMN c TEXT').checked).toMatchObject({ kind: 'alter', object: { name: 'ai_t' }, column: 'c' });
    expect(plan('ALTER TABLE ai_t RENAME COLUMN c TO d').checked).toMatchObject({ kind: 'rename', column: 'c', newName: 'd' });
    expect(plan('ALTER TABLE ai_t DROP COLUMN d').checked).toMatchObject({ kind: 'alter', column: 'd' });
    const renamed = plan('ALTER TABLE ai_t RENAME TO ai_u');
    expect(renamed.checked).toMatchObject({ kind: 'rename', newName: 'ai_u' });
    expect([...renamed.touches].sort()).toEqual(['ai_t', 'ai_u']);
    expect(plan('DROP TABLE IF EXISTS ai_t').checked).toMatchObject({ kind: 'drop', object: { name: 'ai_t', type: 'table' } });
    expect(plan('DROP INDEX main.ai_t_a').checked).toMatchObject({ kind: 'drop', object: { schema: 'main', name: 'ai_t_a', type: 'index' } });
    // SQLite compares names ignoring ASCII case: AI_T is the table ai_t, and carries the prefix.
    expect(plan('DROP VIEW AI_V').touches).toEqual(['ai_v']);
  });

  const refused: [string, string][] = [
    ['CREATE TABLE t (a)', 'WRITE_NOT_ALLOWED'],
    ['DROP TABLE items', 'WRITE_NOT_ALLOWED'],
    ['DROP TABLE ai_a, ai_b', 'SQL_FEATURE_DENIED'],
    ['ALTER TABLE items RENAME TO ai_items', 'WRITE_NOT_ALLOWED'],
    ['ALTER TABLE ai_t RENAME TO items', 'WRITE_NOT_ALLOWED'],
    ['CREATE INDEX ai_i ON items (name)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t (p INT REFERENCES items(id))', 'WRITE_NOT_ALLOWED'],
    ['CREATE TEMP TABLE ai_t (a)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE temp.ai_t (a)', 'WRITE_NOT_ALLOWED'],
    ['CREATE VIRTUAL TABLE ai_f USING fts5(a)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TRIGGER ai_tr AFTER INSERT ON ai_t BEGIN DELETE FROM items; END', 'SQL_MULTIPLE_STATEMENTS'],
    ['CREATE TRIGGER ai_tr AFTER INSERT ON ai_t BEGIN SELECT 1 END', 'WRITE_NOT_ALLOWED'],
    ['DROP TRIGGER ai_tr', 'WRITE_NOT_ALLOWED'],
    ["CREATE VIEW ai_v AS SELECT load_extension('x')", 'SQL_FUNCTION_DENIED'],
    ["CREATE TABLE ai_t (a DEFAULT (readfile('/etc/passwd')))", 'SQL_FUNCTION_DENIED'],
    ['CREATE TABLE ai_t (a INT, b AS (edit(a)))', 'SQL_FUNCTION_DENIED'],
    ['CREATE TABLE ai_t AS SELECT sql FROM sqlite_master', 'SQL_FEATURE_DENIED'],
    ['CREATE TABLE sqlite_ai (a)', 'SQL_FEATURE_DENIED'],
    ['CREATE TABLE ai_t (a UNIQUE ON CONFLICT REPLACE)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t AS SELECT 1; DROP TABLE items', 'SQL_MULTIPLE_STATEMENTS'],
    ['CREATE TABLE ai_t (a) ; INSERT INTO items VALUES (1)', 'SQL_MULTIPLE_STATEMENTS'],
    ['INSERT INTO ai_t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t (a CHECK (a > ?))', 'SQL_FEATURE_DENIED'],
    ['ANALYZE ai_t', 'WRITE_NOT_ALLOWED'],
    ['REINDEX ai_t', 'WRITE_NOT_ALLOWED'],
    // a Cyrillic і: not the prefix, whatever it looks like
    ['CREATE TABLE aі_t (a)', 'WRITE_NOT_ALLOWED'],
  ];
  for (const [sql, code] of refused) {
    it(`refuses ${JSON.stringify(sql)} with ${code}`, () => {
      expect(codeOf(sql, 'change_schema')).toBe(code);
    });
  }

  it('refuses a view body that reads a table by a name the parser and SQLite read differently', () => {
    // The view reads items (the tokens see a SELECT the walk must meet): reads are reported for the role check.
    const view = guard.planWrite('CREATE VIEW ai_v AS SELECT a FROM (SELECT name AS a FROM items)', 'change_schema', OPTIONS);
    expect(view.checked.reads.relations.map((r) => r.name)).toEqual(['items']);
  });
});
