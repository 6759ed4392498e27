/**
 * Governed writes on MySQL/MariaDB: the write policy on its own (no server), then
 * the source against the real MariaDB, judged by effect. A DML dry run runs in a
 * transaction that is rolled back; a DDL dry run never runs (MySQL commits DDL
 * implicitly) and says it only validated; a real run changes exactly what it says;
 * the row cap rolls everything back; the engine re-applies the policy and checks
 * the catalog itself, so a statement that skipped the guard changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type MysqlSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import type { CheckedDdl, CheckedDml, WriteTool } from '../../src/engine/policy.js';
import { createLogger } from '../../src/log/logger.js';
import type { EngineParts } from '../../src/engine/parts.js';
import { openMysqlEngine } from '../../src/engines/mysql/index.js';
import { tokenize } from '../../src/engines/mysql/tokens.js';
import { mentionsIn, referencesIn } from '../../src/engines/mysql/write-catalog.js';
import type { ParamValue, WriteResult } from '../../src/engine/source.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';

const log = createLogger('silent');
const OPTIONS = { prefix: 'ai_', allowUnbounded: false };

function config(url: string, writes: Record<string, unknown> = { enabled: true }, statementTimeoutMs = 10_000): MysqlSourceConfig {
  return sourceSchema.parse({ engine: 'mysql', url, statement_timeout_ms: statementTimeoutMs, pool: { max: 2, connect_timeout_ms: 2000 }, writes }) as MysqlSourceConfig;
}

async function codeOf(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
    return 'ALLOWED';
  } catch (error) {
    return error instanceof BastionError ? error.code : `RAW ${String(error)}`;
  }
}

describe('MySQL write policy (no server needed)', () => {
  let parts: EngineParts;
  const check = (sql: string, tool: WriteTool, options = OPTIONS) => {
    if (parts.guard.checkWrite === undefined) throw new Error('no write policy');
    return parts.guard.checkWrite(sql, tool, options);
  };
  beforeAll(async () => {
    parts = await openMysqlEngine('m', config('mysql://nobody@127.0.0.1:1/app'), log);
  });
  afterAll(async () => parts.source.close());

  it('describes a DML statement for the authorize stage: target, reads, ? placeholders, no row preview', () => {
    const insert = check("INSERT INTO app.t (a, b) SELECT x, ? FROM u WHERE u.y = 'a?' -- note", 'execute') as CheckedDml;
    expect(insert).toMatchObject({ command: 'insert', target: { schema: 'app', name: 't' }, paramCount: 1, hasReturning: false, sampleSql: undefined, sampleNeedsPg17: false });
    expect(insert.sql).toBe("INSERT INTO app.t (a, b) SELECT x, ? FROM u WHERE u.y = 'a?'");
    expect(insert.reads.relations).toEqual([{ schema: undefined, name: 'u', alias: undefined }]);
    expect(check('UPDATE t AS x SET x.a = x.a + ? WHERE x.id = ?', 'execute')).toMatchObject({ command: 'update', target: { name: 't', alias: 'x' }, paramCount: 2 });
    expect(check('DELETE FROM t WHERE id = 1 ORDER BY id LIMIT 1', 'execute')).toMatchObject({ command: 'delete', target: { name: 't' } });
    expect(check('INSERT t SET a = 1', 'execute')).toMatchObject({ command: 'insert', target: { name: 't' } });
  });

  it('lets UPDATE and DELETE without WHERE through only when the source allows unbounded writes', () => {
    expect(() => check('UPDATE t SET a = 1', 'execute')).toThrow(/WHERE/);
    expect(() => check('DELETE FROM t WHERE 1 = 1', 'execute')).toThrow(/WHERE/);
    expect(check('UPDATE t SET a = 1', 'execute', { prefix: 'ai_', allowUnbounded: true })).toMatchObject({ command: 'update' });
  });

  const refusedDml: [string, string][] = [
    ['REPLACE INTO t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT IGNORE INTO t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT LOW_PRIORITY INTO t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT DELAYED INTO t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT HIGH_PRIORITY INTO t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['UPDATE LOW_PRIORITY t SET a = 1 WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['UPDATE IGNORE t SET a = 1 WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE QUICK FROM t WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE IGNORE FROM t WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 2', 'WRITE_NOT_ALLOWED'],
    ['UPDATE t JOIN u ON t.a = u.a SET t.b = 1 WHERE u.x = 1', 'WRITE_NOT_ALLOWED'],
    ['UPDATE t, u SET t.b = 1 WHERE t.a = u.a', 'WRITE_NOT_ALLOWED'],
    ['UPDATE t SET u.a = 1 WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE t FROM t JOIN u ON t.a = u.a WHERE u.x = 1', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM t, u USING t JOIN u WHERE t.a = 1', 'SQL_PARSE_ERROR'],
    ['INSERT INTO t PARTITION (p0) VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['DELETE FROM t PARTITION (p0) WHERE id = 1', 'WRITE_NOT_ALLOWED'],
    ["INSERT INTO t SELECT * FROM u INTO OUTFILE '/tmp/x'", 'WRITE_NOT_ALLOWED'],
    ["INSERT INTO t SELECT LOAD_FILE('/etc/passwd')", 'SQL_FUNCTION_DENIED'],
    ['UPDATE t SET a = SLEEP(5) WHERE id = 1', 'SQL_FUNCTION_DENIED'],
    ['UPDATE t SET a = `sleep`(5) WHERE id = 1', 'SQL_FUNCTION_DENIED'],
    ['UPDATE t SET a = mysql.f(1) WHERE id = 1', 'SQL_FUNCTION_DENIED'],
    ['UPDATE t SET a = @x WHERE id = 1', 'SQL_FEATURE_DENIED'],
    ['UPDATE t SET a = @@version WHERE id = 1', 'SQL_FEATURE_DENIED'],
    ['INSERT INTO t VALUES (1) /*! ; DROP TABLE customers */', 'SQL_FEATURE_DENIED'],
    ['DELETE FROM t WHERE id = 1; DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
    ['DELETE FROM t WHERE id = 1 -- x\n; DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
    ["UPDATE mysql.user SET authentication_string = '' WHERE user = 'root'", 'WRITE_NOT_ALLOWED'],
    ["DELETE FROM MySQL.user WHERE user = 'x'", 'WRITE_NOT_ALLOWED'],
    ['INSERT INTO performance_schema.setup_actors VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['INSERT INTO t SELECT user FROM mysql.user', 'DENIED_BY_POLICY'],
    ['INSERT INTO t SELECT TABLE_NAME FROM information_schema.TABLES', 'DENIED_BY_POLICY'],
    ['WITH c AS (SELECT 1 AS x) UPDATE t SET a = 1 WHERE a IN (SELECT x FROM c)', 'SQL_FEATURE_DENIED'],
    ['INSERT INTO t (a) VALUES (1) RETURNING a', 'WRITE_NOT_ALLOWED'],
    ['TRUNCATE customers', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_x (a int)', 'WRITE_NOT_ALLOWED'],
    ['SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['LOAD DATA INFILE "/etc/passwd" INTO TABLE t', 'WRITE_NOT_ALLOWED'],
    ['CALL p()', 'WRITE_NOT_ALLOWED'],
    ['SET @a = 1', 'WRITE_NOT_ALLOWED'],
  ];
  it.each(refusedDml)('execute refuses %s', (sql, code) => {
    expect(() => check(sql, 'execute')).toThrow(expect.objectContaining({ code }));
  });

  it('describes schema changes: kind, object, the index table, the new name, foreign keys and reads', () => {
    expect(check('CREATE TABLE ai_x (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES ai_y (id) ON DELETE CASCADE) ENGINE=InnoDB', 'change_schema')).toMatchObject({
      kind: 'create_table',
      object: { schema: undefined, name: 'ai_x', type: 'table' },
      references: [{ schema: undefined, name: 'ai_y' }],
      paramCount: 0,
    });
    const view = check('CREATE VIEW ai_v AS SELECT c.id FROM app.customers c', 'change_schema') as CheckedDdl;
    expect(view).toMatchObject({ kind: 'create_view', object: { name: 'ai_v', type: 'view' } });
    expect(view.reads.relations).toEqual([{ schema: 'app', name: 'customers', alias: 'c' }]);
    const like = check('CREATE TABLE ai_copy LIKE customers', 'change_schema') as CheckedDdl;
    expect(like.reads.columnRefs).toEqual([['customers', '*']]);
    expect(check('CREATE TABLE ai_x AS SELECT id FROM customers', 'change_schema')).toMatchObject({ kind: 'create_table_as' });
    expect(check('CREATE UNIQUE INDEX ai_i ON ai_t (a, b(10) DESC)', 'change_schema')).toMatchObject({
      kind: 'create_index',
      object: { name: 'ai_i', type: 'index' },
      table: { schema: undefined, name: 'ai_t' },
    });
    expect(check('ALTER TABLE ai_t ADD COLUMN c INT NOT NULL DEFAULT 0 AFTER a, DROP COLUMN b, ADD INDEX ai_c (c)', 'change_schema')).toMatchObject({ kind: 'alter' });
    expect(check('ALTER TABLE ai_t RENAME TO ai_u', 'change_schema')).toMatchObject({ kind: 'rename', object: { name: 'ai_t' }, newName: 'ai_u' });
    expect(check('DROP INDEX ai_i ON ai_t', 'change_schema')).toMatchObject({ kind: 'drop', object: { name: 'ai_i', type: 'index' }, table: { name: 'ai_t' } });
    expect(check('DROP VIEW ai_v', 'change_schema')).toMatchObject({ kind: 'drop', object: { name: 'ai_v', type: 'view' } });
  });

  const refusedDdl: [string, string][] = [
    ['DROP TABLE ai_x, customers', 'WRITE_NOT_ALLOWED'],
    ['DROP TABLE ai_x CASCADE', 'SQL_PARSE_ERROR'],
    ['DROP VIEW ai_v, customer_view', 'WRITE_NOT_ALLOWED'],
    ['ALTER TABLE ai_x RENAME TO customers', 'WRITE_NOT_ALLOWED'],
    ['ALTER TABLE ai_x RENAME TO otherdb.ai_y', 'SQL_PARSE_ERROR'],
    ['ALTER TABLE customers ADD COLUMN x INT', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE AI_X (a INT)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE `AI_X` (a INT)', 'WRITE_NOT_ALLOWED'],
    ['DROP TABLE AI_X', 'WRITE_NOT_ALLOWED'],
    ['CREATE INDEX ai_i ON customers (name)', 'WRITE_NOT_ALLOWED'],
    ['CREATE INDEX idx ON ai_t (name)', 'WRITE_NOT_ALLOWED'],
    ['DROP INDEX ai_i ON customers', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_x (a INT, FOREIGN KEY (a) REFERENCES customers (id))', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_x (a INT REFERENCES customers (id))', 'WRITE_NOT_ALLOWED'],
    ["CREATE TABLE ai_t (a INT) DATA DIRECTORY = '/tmp/x'", 'WRITE_NOT_ALLOWED'],
    ["CREATE TABLE ai_t (a INT) INDEX DIRECTORY = '/tmp/x'", 'WRITE_NOT_ALLOWED'],
    ["CREATE TABLE ai_t (a INT) ENGINE=CONNECT TABLE_TYPE=DOS FILE_NAME='/etc/passwd'", 'SQL_PARSE_ERROR'],
    ['CREATE TABLE ai_t (a INT) ENGINE=MyISAM', 'SQL_FEATURE_DENIED'],
    ["CREATE TABLE ai_t (a INT) CONNECTION = 'mysql://u@h/db/t'", 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t (a INT) PARTITION BY HASH (a)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t (a INT) KEY_BLOCK_SIZE = 8', 'SQL_FEATURE_DENIED'],
    ['CREATE TEMPORARY TABLE ai_t (a INT)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE IF NOT EXISTS ai_t SELECT 1 AS a', 'SQL_FEATURE_DENIED'],
    ['CREATE TABLE ai_t IGNORE SELECT 1 AS a', 'WRITE_NOT_ALLOWED'],
    ["CREATE TABLE ai_t (a INT DEFAULT (LOAD_FILE('/etc/passwd')))", 'SQL_FUNCTION_DENIED'],
    ['CREATE TABLE ai_t (a INT, b INT AS (SLEEP(1)) VIRTUAL)', 'SQL_FUNCTION_DENIED'],
    ['CREATE TABLE ai_t (a INT, CHECK (BENCHMARK(1, 1) > 0))', 'SQL_FUNCTION_DENIED'],
    ['CREATE DEFINER=root@localhost VIEW ai_v AS SELECT 1', 'WRITE_NOT_ALLOWED'],
    ["CREATE DEFINER='root'@'localhost' VIEW ai_v AS SELECT 1", 'WRITE_NOT_ALLOWED'],
    ['CREATE DEFINER=CURRENT_USER VIEW ai_v AS SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['CREATE SQL SECURITY DEFINER VIEW ai_v AS SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['CREATE VIEW ai_v AS SELECT * FROM mysql.user', 'DENIED_BY_POLICY'],
    ['CREATE VIEW ai_v AS SELECT * FROM information_schema.PROCESSLIST', 'DENIED_BY_POLICY'],
    ['CREATE VIEW ai_v AS SELECT LOAD_FILE(0x2f6574632f706173737764)', 'SQL_FUNCTION_DENIED'],
    ["CREATE VIEW ai_v AS SELECT 1 INTO OUTFILE '/tmp/x'", 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t (a INT) /*! ; DROP TABLE customers */', 'SQL_FEATURE_DENIED'],
    ['CREATE TABLE ai_t (a INT); DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
    ['TRUNCATE customers', 'WRITE_NOT_ALLOWED'],
    ['TRUNCATE TABLE ai_t', 'WRITE_NOT_ALLOWED'],
    ['GRANT ALL ON *.* TO someone', 'WRITE_NOT_ALLOWED'],
    ['REVOKE ALL ON *.* FROM someone', 'WRITE_NOT_ALLOWED'],
    ["CREATE USER ai_u IDENTIFIED BY 'x'", 'WRITE_NOT_ALLOWED'],
    ['CREATE ROLE ai_r', 'WRITE_NOT_ALLOWED'],
    ['CREATE TRIGGER ai_tr BEFORE INSERT ON ai_t FOR EACH ROW SET NEW.a = 1', 'WRITE_NOT_ALLOWED'],
    ['CREATE PROCEDURE ai_p() SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['CREATE FUNCTION ai_f() RETURNS INT RETURN 1', 'WRITE_NOT_ALLOWED'],
    ['CREATE EVENT ai_e ON SCHEDULE EVERY 1 DAY DO DELETE FROM customers', 'WRITE_NOT_ALLOWED'],
    ['CREATE DATABASE ai_db', 'WRITE_NOT_ALLOWED'],
    ['DROP DATABASE app', 'WRITE_NOT_ALLOWED'],
    ['CREATE SERVER ai_s FOREIGN DATA WRAPPER mysql OPTIONS (HOST "h")', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLESPACE ai_ts ADD DATAFILE "x.ibd"', 'WRITE_NOT_ALLOWED'],
    ['RENAME TABLE ai_x TO customers', 'WRITE_NOT_ALLOWED'],
    ['LOCK TABLES customers WRITE', 'WRITE_NOT_ALLOWED'],
    ['FLUSH TABLES', 'WRITE_NOT_ALLOWED'],
    ['ANALYZE TABLE ai_t', 'WRITE_NOT_ALLOWED'],
    ['OPTIMIZE TABLE ai_t', 'WRITE_NOT_ALLOWED'],
    ['ALTER VIEW ai_v AS SELECT 1', 'WRITE_NOT_ALLOWED'],
    ['ALTER DATABASE app CHARACTER SET utf8mb4', 'WRITE_NOT_ALLOWED'],
    ['ALTER TABLE ai_t ENGINE = MyISAM', 'SQL_FEATURE_DENIED'],
    ['ALTER TABLE ai_t DISCARD TABLESPACE', 'WRITE_NOT_ALLOWED'],
    ['ALTER TABLE ai_t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES customers (id)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE ai_t (a INT DEFAULT ?)', 'SQL_FEATURE_DENIED'],
    ['INSERT INTO ai_t VALUES (1)', 'WRITE_NOT_ALLOWED'],
    ['CREATE TABLE mysql.ai_t (a INT)', 'WRITE_NOT_ALLOWED'],
  ];
  it.each(refusedDdl)('change_schema refuses %s', (sql, code) => {
    expect(() => check(sql, 'change_schema')).toThrow(expect.objectContaining({ code }));
  });

  it('fingerprints MySQL text for the audit: constants, spacing, keyword case and comments aside', () => {
    const fingerprint = (sql: string) => parts.guard.fingerprint?.(sql);
    const base = fingerprint("UPDATE t SET a = 1 WHERE id = 'x'");
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint("update t  set a = 22 /* why */ where id = 'y' -- note")).toBe(base);
    expect(fingerprint("UPDATE t SET b = 1 WHERE id = 'x'")).not.toBe(base);
    expect(fingerprint('/*! DROP TABLE t */ SELECT 1')).toBeUndefined();
  });

  it('the catalog treats the system databases as system schemas, whatever their case', () => {
    for (const name of ['mysql', 'MySQL', 'sys', 'performance_schema', 'INFORMATION_SCHEMA']) expect(parts.catalog.isSystemSchema?.(name)).toBe(true);
    expect(parts.catalog.isSystemSchema?.('app')).toBe(false);
  });
});

describe.skipIf(!mariadb.ok)('MySQL/MariaDB writes against a real server, by effect', () => {
  let db: TestMysqlDatabase;
  let parts: EngineParts;

  const customers = async (): Promise<unknown> =>
    (await db.admin("SELECT COUNT(*) AS n, SUM(CRC32(CONCAT_WS('|', id, name, country))) AS sum FROM customers"))[0];
  const notes = async (): Promise<unknown[][]> => (await db.admin('SELECT id, body, n FROM ai_notes ORDER BY id')).map((r): unknown[] => [r['id'], r['body'], r['n']]);
  const relations = async (): Promise<string[]> =>
    (await db.admin('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1')).map((r) => String(r['t']));
  const indexes = async (table: string): Promise<string[]> =>
    (await db.admin('SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY 1', [table])).map((r) =>
      String(r['i']),
    );
  const columns = async (table: string): Promise<string[]> =>
    (await db.admin('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [table])).map(
      (r) => String(r['c']),
    );

  /** One statement through the write policy, then the source: what execute and change_schema do after authorization. */
  const write = (tool: WriteTool, sql: string, options: { params?: ParamValue[]; dryRun?: boolean; cap?: number } = {}): Promise<WriteResult> => {
    const checked = parts.guard.checkWrite!(sql, tool, OPTIONS);
    return parts.source.write!({
      kind: tool === 'execute' ? 'dml' : 'ddl',
      sql: checked.sql,
      params: options.params ?? [],
      dryRun: options.dryRun ?? true,
      maxAffectedRows: options.cap ?? 1000,
      maxBytes: 1 << 20,
    });
  };

  beforeAll(async () => {
    db = await createMysqlDatabase();
    await db.admin(`
      CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, country CHAR(2)) ENGINE=InnoDB;
      INSERT INTO customers SELECT seq, CONCAT('customer-', seq), IF(seq % 2 = 0, 'DE', 'FR') FROM seq_1_to_50;
      CREATE TABLE ai_notes (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(100) NOT NULL UNIQUE, n INT NOT NULL DEFAULT 0) ENGINE=InnoDB;
      INSERT INTO ai_notes (body) VALUES ('one'), ('two'), ('three');
      CREATE TABLE legacy (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=MyISAM;
      INSERT INTO legacy VALUES (1, 1), (2, 2);`);
    parts = await openMysqlEngine('m', config(db.url, { enabled: true }), log);
  });
  afterAll(async () => {
    await parts?.source.close();
    await db?.drop();
  });

  it('a DML dry run changes no row and reports the count, saying it shows no rows', async () => {
    const before = await customers();
    const update = await write('execute', "UPDATE customers SET name = CONCAT(name, ' (vip)') WHERE country = ?", { params: ['DE'] });
    expect(update).toMatchObject({ affected: 25, committed: false });
    expect(update.validatedOnly).toBeUndefined();
    expect(update.notice).toMatch(/no RETURNING/);
    expect(await write('execute', 'DELETE FROM customers WHERE id <= 10')).toMatchObject({ affected: 10, committed: false });
    expect(await write('execute', "INSERT INTO customers (id, name) VALUES (?, 'new'), (?, 'newer')", { params: [101, 102] })).toMatchObject({ affected: 2, committed: false });
    expect(await write('execute', 'INSERT INTO customers SELECT id + 1000, name, country FROM customers WHERE id <= 5')).toMatchObject({ affected: 5 });
    expect(await customers()).toEqual(before);
  });

  it('a real run changes exactly what it reports', async () => {
    const result = await write('execute', 'UPDATE ai_notes SET n = n + ? WHERE body IN (?, ?)', { params: [5, 'one', 'two'], dryRun: false });
    expect(result).toEqual({ affected: 2, committed: true });
    expect(await notes()).toEqual([
      [1, 'one', 5],
      [2, 'two', 5],
      [3, 'three', 0],
    ]);
    expect(await write('execute', "INSERT INTO ai_notes (body) VALUES ('four')", { dryRun: false })).toMatchObject({ affected: 1, committed: true });
    expect(await write('execute', "DELETE FROM ai_notes WHERE body = 'four'", { dryRun: false })).toMatchObject({ affected: 1, committed: true });
    expect((await notes()).length).toBe(3);
  });

  it('a dry-run INSERT adds no row but may advance AUTO_INCREMENT, which InnoDB never rolls back (as PostgreSQL sequences)', async () => {
    const counter = async (): Promise<number> =>
      Number((await db.admin("SELECT AUTO_INCREMENT AS a FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ai_notes'"))[0]?.['a']);
    const before = { rows: await notes(), counter: await counter() };
    expect(await write('execute', "INSERT INTO ai_notes (body) VALUES ('dry')")).toMatchObject({ affected: 1, committed: false });
    expect(await notes()).toEqual(before.rows);
    expect(await counter()).toBeGreaterThan(before.counter);
  });

  it('an UPDATE over the affected-row cap rolls back entirely, dry run or not', async () => {
    const before = await customers();
    for (const dryRun of [true, false]) {
      const error = await codeOf(write('execute', "UPDATE customers SET name = 'gone' WHERE id > 0", { dryRun, cap: 10 }));
      expect(error).toBe('WRITE_LIMIT_EXCEEDED');
      expect(await customers()).toEqual(before);
    }
    // Within the cap, the same statement shape applies.
    expect(await write('execute', "UPDATE customers SET country = 'DE' WHERE id = 1", { dryRun: false, cap: 10 })).toMatchObject({ affected: 1, committed: true });
    await db.admin("UPDATE customers SET country = 'FR' WHERE id = 1");
  });

  it('a failing statement leaves nothing behind, and the next write works', async () => {
    const before = await notes();
    expect(await codeOf(write('execute', "INSERT INTO ai_notes (body) VALUES ('five'), ('one')", { dryRun: false }))).toBe('QUERY_FAILED');
    expect(await notes()).toEqual(before);
    expect(await write('execute', "UPDATE ai_notes SET n = 0 WHERE body = 'one'", { dryRun: false })).toMatchObject({ affected: 1 });
  });

  it('refuses to write a table whose engine cannot roll back (MyISAM): a dry run would not be one', async () => {
    const before = await db.admin('SELECT id, v FROM legacy ORDER BY id');
    expect(await codeOf(write('execute', 'UPDATE legacy SET v = v + 1 WHERE id = 1'))).toBe('WRITE_NOT_ALLOWED');
    expect(await codeOf(write('execute', 'UPDATE legacy SET v = v + 1 WHERE id = 1', { dryRun: false }))).toBe('WRITE_NOT_ALLOWED');
    expect(await db.admin('SELECT id, v FROM legacy ORDER BY id')).toEqual(before);
  });

  it('refuses to write through a view (the engine checks for a base table)', async () => {
    await db.admin('CREATE VIEW customer_names AS SELECT id, name FROM customers');
    const before = await customers();
    expect(await codeOf(write('execute', "UPDATE customer_names SET name = 'x' WHERE id = 1", { dryRun: false }))).toBe('QUERY_FAILED');
    expect(await customers()).toEqual(before);
  });

  it('the engine re-applies the write policy: a statement that skipped the guard changes nothing', async () => {
    const write = parts.source.write!.bind(parts.source);
    const base = { params: [], dryRun: false, maxAffectedRows: 1000, maxBytes: 1 << 20 };
    expect(await codeOf(write({ ...base, kind: 'dml', sql: 'DROP TABLE customers' }))).toBe('WRITE_NOT_ALLOWED');
    expect(await codeOf(write({ ...base, kind: 'ddl', sql: 'DROP TABLE customers' }))).toBe('WRITE_NOT_ALLOWED');
    expect(await codeOf(write({ ...base, kind: 'dml', sql: 'DELETE FROM customers' }))).toBe('WRITE_NOT_ALLOWED');
    expect(await codeOf(write({ ...base, kind: 'ddl', sql: 'CREATE TABLE ai_x (a INT) /* x */' }))).toBe('INTERNAL');
    expect(await relations()).toContain('customers');
    expect(await relations()).not.toContain('ai_x');
    expect((await customers()) as { n: number }).toMatchObject({ n: 50 });
  });

  it('a DDL dry run creates, changes and drops nothing, and says it only validated', async () => {
    const before = await relations();
    const created = await write('change_schema', 'CREATE TABLE ai_new (id INT PRIMARY KEY, body TEXT NOT NULL)');
    expect(created).toMatchObject({ validatedOnly: true, committed: false, affected: 0 });
    expect(created.notice).toMatch(/Validated, not run/);
    expect(created.notice).toMatch(/commits a schema change implicitly/);
    expect(created.definition).toBeUndefined();
    expect(await write('change_schema', 'CREATE VIEW ai_view AS SELECT id, body FROM ai_notes')).toMatchObject({ validatedOnly: true });
    expect(await write('change_schema', 'CREATE TABLE ai_copy AS SELECT id, name FROM customers')).toMatchObject({ validatedOnly: true });
    expect(await write('change_schema', 'CREATE TABLE ai_like LIKE customers')).toMatchObject({ validatedOnly: true });
    expect(await write('change_schema', 'CREATE INDEX ai_by_n ON ai_notes (n)')).toMatchObject({ validatedOnly: true });
    expect(await write('change_schema', 'ALTER TABLE ai_notes ADD COLUMN extra INT')).toMatchObject({ validatedOnly: true });
    expect(await write('change_schema', 'ALTER TABLE ai_notes RENAME TO ai_renamed')).toMatchObject({ validatedOnly: true });
    expect(await write('change_schema', 'DROP TABLE ai_notes')).toMatchObject({ validatedOnly: true });
    expect(await relations()).toEqual(before);
    expect(await indexes('ai_notes')).toEqual(['body', 'PRIMARY']);
    expect(await columns('ai_notes')).toEqual(['id', 'body', 'n']);
  });

  it('a DDL dry run reports what the real run would hit: a taken name, a missing object or column, a bad view', async () => {
    expect(await codeOf(write('change_schema', 'CREATE TABLE ai_notes (id INT)'))).toBe('QUERY_FAILED');
    expect(await codeOf(write('change_schema', 'ALTER TABLE ai_missing ADD COLUMN x INT'))).toBe('TABLE_NOT_FOUND');
    expect(await codeOf(write('change_schema', 'ALTER TABLE ai_notes DROP COLUMN missing'))).toBe('QUERY_FAILED');
    expect(await codeOf(write('change_schema', 'ALTER TABLE ai_notes ADD COLUMN body INT'))).toBe('QUERY_FAILED');
    expect(await codeOf(write('change_schema', 'CREATE INDEX ai_i ON ai_notes (missing)'))).toBe('QUERY_FAILED');
    // The server prepares the view's query: an unknown column is its own error.
    expect(await codeOf(write('change_schema', 'CREATE VIEW ai_v AS SELECT missing FROM ai_notes'))).toBe('QUERY_FAILED');
    expect(await codeOf(write('change_schema', 'DROP VIEW ai_notes'))).toBe('QUERY_FAILED');
    expect(await codeOf(write('change_schema', 'CREATE TABLE ai_l LIKE legacy'))).toBe('WRITE_NOT_ALLOWED');
  });

  it('a real DDL run commits and shows the definition, with the view DEFINER account hidden', async () => {
    const created = await write('change_schema', 'CREATE TABLE ai_made (id INT PRIMARY KEY, body VARCHAR(20) NOT NULL)', { dryRun: false });
    expect(created).toMatchObject({ committed: true, affected: 0 });
    expect(created.validatedOnly).toBeUndefined();
    expect(created.definition).toMatch(/CREATE TABLE `ai_made`[\s\S]*`body` varchar\(20\) NOT NULL/);
    const view = await write('change_schema', 'CREATE VIEW ai_made_view AS SELECT id FROM ai_made', { dryRun: false });
    expect(view.definition).toMatch(/VIEW `ai_made_view` AS select/);
    expect(view.definition).toContain('DEFINER=***');
    expect(view.definition).not.toMatch(/root|localhost/);
    expect((await write('change_schema', 'CREATE INDEX ai_made_body ON ai_made (body)', { dryRun: false })).definition).toMatch(/KEY `ai_made_body`/);
    expect(await write('change_schema', 'ALTER TABLE ai_made ADD COLUMN n INT NOT NULL DEFAULT 0', { dryRun: false })).toMatchObject({ committed: true });
    expect(await columns('ai_made')).toEqual(['id', 'body', 'n']);
    // The view reads ai_made, so the table keeps its name until the view is gone.
    await expect(write('change_schema', 'ALTER TABLE ai_made RENAME TO ai_moved', { dryRun: false })).rejects.toMatchObject({ code: 'WRITE_NOT_ALLOWED' });
    const dropped = await write('change_schema', 'DROP VIEW ai_made_view', { dryRun: false });
    expect(dropped.committed).toBe(true);
    expect(dropped.definition).toBeUndefined();
    expect((await write('change_schema', 'ALTER TABLE ai_made RENAME TO ai_moved', { dryRun: false })).definition).toMatch(/CREATE TABLE `ai_moved`/);
    expect(await write('change_schema', 'DROP INDEX ai_made_body ON ai_moved', { dryRun: false })).toMatchObject({ committed: true });
    expect(await indexes('ai_moved')).toEqual(['PRIMARY']);
    expect(await write('change_schema', 'DROP TABLE ai_moved', { dryRun: false })).toMatchObject({ committed: true });
    const now = await relations();
    for (const name of ['ai_made', 'ai_made_view', 'ai_moved']) expect(now).not.toContain(name);
    expect(now).toContain('customers');
  });

  it('the read path stays read-only while writes are enabled', async () => {
    const before = await customers();
    const read = parts.source.read({ sql: 'DELETE FROM customers WHERE id = 1', params: [], maxRows: 10, maxBytes: 1024 });
    expect(await codeOf(read)).toBe('SQL_NOT_READ_ONLY');
    expect(await customers()).toEqual(before);
  });

  it('a write that runs past the time limit is stopped by the server and changes nothing', async () => {
    const slow = await openMysqlEngine('slow', config(db.url, { enabled: true }, 1000), log);
    try {
      const before = await notes();
      const sql = 'UPDATE ai_notes SET n = (SELECT COUNT(*) FROM seq_1_to_100000 a JOIN seq_1_to_100000 b ON a.seq + b.seq < 0) WHERE id = 1';
      const checked = slow.guard.checkWrite!(sql, 'execute', OPTIONS);
      const result = slow.source.write!({ kind: 'dml', sql: checked.sql, params: [], dryRun: false, maxAffectedRows: 10, maxBytes: 1024 });
      expect(await codeOf(result)).toBe('QUERY_TIMEOUT');
      expect(await notes()).toEqual(before);
    } finally {
      await slow.source.close();
    }
  });

  it('a source without writes.enabled refuses every write', async () => {
    const readOnly = await openMysqlEngine('ro', config(db.url, { enabled: false }), log);
    try {
      const checked = readOnly.guard.checkWrite!("UPDATE ai_notes SET n = 9 WHERE body = 'one'", 'execute', OPTIONS);
      const result = readOnly.source.write!({ kind: 'dml', sql: checked.sql, params: [], dryRun: false, maxAffectedRows: 10, maxBytes: 1024 });
      expect(await codeOf(result)).toBe('DENIED_BY_POLICY');
      expect((await notes())[0]).toEqual([1, 'one', 0]);
    } finally {
      await readOnly.source.close();
    }
  });
});

describe('which definitions refer to an object a schema change drops or renames', () => {
  const refers = (text: string, home: string, part?: string): boolean => referencesIn(tokenize(text), home, 'shop', 'ai_x', part);

  it('a view as MySQL stores it (qualified), a trigger or routine body (unqualified, in its own database), any case', () => {
    expect(refers('select `shop`.`ai_x`.`id` AS `id` from `shop`.`ai_x`', 'other')).toBe(true);
    expect(refers('INSERT INTO ai_x (n) VALUES (NEW.n)', 'shop')).toBe(true);
    expect(refers('SELECT COUNT(*) FROM AI_X', 'shop')).toBe(true);
    expect(refers('SELECT `Shop`.`AI_X`.id FROM `Shop`.`AI_X`', 'other')).toBe(true);
  });

  it('not the same name in another database, a longer name, an alias or a string', () => {
    expect(refers('select `other`.`ai_x`.`id` AS `id` from `other`.`ai_x`', 'other')).toBe(false);
    expect(refers('INSERT INTO ai_x (n) VALUES (1)', 'other')).toBe(false);
    expect(refers('SELECT * FROM ai_x2 JOIN ai_x_log', 'shop')).toBe(false);
    expect(refers("SELECT t.ai_x FROM t WHERE n = 'ai_x'", 'shop')).toBe(false);
  });

  it('a column or an index only where the table is named too', () => {
    expect(refers('select `shop`.`ai_x`.`note` AS `note` from `shop`.`ai_x`', 'shop', 'note')).toBe(true);
    expect(refers('select `shop`.`ai_x`.`id` AS `id` from `shop`.`ai_x`', 'shop', 'note')).toBe(false);
    expect(refers('select `shop`.`t`.`note` AS `note` from `shop`.`t`', 'shop', 'note')).toBe(false);
    expect(refers('select `shop`.`ai_x`.`id` AS `id` from `shop`.`ai_x` FORCE INDEX (`ai_x_note`)', 'shop', 'ai_x_note')).toBe(true);
  });
});

describe('which trigger and routine bodies mention an object (kept as written, comments and all)', () => {
  it('a mention between apostrophes in comments, in ANSI quotes or in any case counts; a longer name does not', () => {
    expect(mentionsIn("BEGIN\n  -- don't touch\n  SELECT COUNT(*) FROM ai_j;\n  -- that's all\nEND", 'shop', 'shop', 'ai_j')).toBe(true);
    expect(mentionsIn('BEGIN SELECT COUNT(*) FROM "AI_J"; END', 'shop', 'shop', 'ai_j')).toBe(true);
    expect(mentionsIn('BEGIN SELECT COUNT(*) FROM ai_j2; END', 'shop', 'shop', 'ai_j')).toBe(false);
  });

  it('a body in another database counts only when it names the database; a part needs its own mention', () => {
    expect(mentionsIn('INSERT INTO ai_j VALUES (1)', 'other', 'shop', 'ai_j')).toBe(false);
    expect(mentionsIn('INSERT INTO shop.ai_j VALUES (1)', 'other', 'shop', 'ai_j')).toBe(true);
    expect(mentionsIn('SET NEW.price = 1; INSERT INTO ai_j VALUES (1)', 'shop', 'shop', 'ai_j', 'price')).toBe(true);
    expect(mentionsIn('INSERT INTO ai_j VALUES (1)', 'shop', 'shop', 'ai_j', 'price')).toBe(false);
  });
});
