/**
 * Governed writes on MySQL/MariaDB through the whole MCP pipeline, by effect on
 * the real MariaDB: the write tools are listed for a writer on a source with
 * writes enabled; a dry run answers and changes nothing (a schema change is
 * validated only, and the answer says so); a real run without approval only
 * creates a pending approval; with approval `none` a real run changes exactly
 * what it says; the row cap rolls back; every bypass attempt leaves the canary,
 * the catalog, mysql.user and the file system as they were; the audit records it all.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';

const WRITER = { id: 'key:mysql-writer', kind: 'api_key', role: 'writer', scopes: [] } as const;
const ROBOT = { id: 'key:mysql-robot', kind: 'api_key', role: 'robot', scopes: [] } as const;

function data(result: CallToolResult): Record<string, unknown> {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

async function auditRecords(bastion: TestBastion): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(bastion.auditDir, 'audit.jsonl'), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.skipIf(!mariadb.ok)('governed writes on MySQL/MariaDB through MCP', () => {
  let db: TestMysqlDatabase;
  let other: TestMysqlDatabase;
  let bastion: TestBastion;
  let robot: TestBastion;
  let dataDir: string;

  const source = (writes: Record<string, unknown> = {}) => ({ main: { engine: 'mysql', url: db.url, writes: { enabled: true, ...writes } } });
  const robotRole = { robot: { tools: ['*'], tables: { allow: ['*.*'], deny: ['*.secrets'] }, approval: { main: 'none' } } };
  const rows = async (sql: string): Promise<unknown[][]> => (await db.admin(sql)).map((r): unknown[] => Object.values(r));
  const customers = async (): Promise<unknown> => (await rows("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, name, country))) FROM customers"))[0];
  const relations = async (database = db): Promise<string[]> =>
    (await database.admin('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1')).map((r) => String(r['t']));
  const users = async (): Promise<unknown> => (await rows("SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', User, Host, authentication_string))) FROM mysql.user"))[0];

  beforeAll(async () => {
    db = await createMysqlDatabase();
    other = await createMysqlDatabase();
    await db.admin(`
      CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, country CHAR(2)) ENGINE=InnoDB;
      INSERT INTO customers SELECT seq, CONCAT('customer-', seq), IF(seq % 2 = 0, 'DE', 'FR') FROM seq_1_to_20;
      CREATE TABLE secrets (id INT PRIMARY KEY, token VARCHAR(64) NOT NULL) ENGINE=InnoDB;
      INSERT INTO secrets VALUES (1, 'tok_live_do_not_leak');`);
    // A directory the server could write into, had DATA DIRECTORY been let through.
    dataDir = mkdtempSync(join(tmpdir(), 'bastion-mysql-datadir-'));
    chmodSync(dataDir, 0o777);
    bastion = await startBastion({ sources: source() }, WRITER);
    robot = await startBastion({ sources: source({ max_affected_rows: 5 }), roles: robotRole }, ROBOT);
  }, 60_000);
  afterAll(async () => {
    await bastion?.close();
    await robot?.close();
    await db?.drop();
    await other?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists execute and change_schema for a writer on a MariaDB source with writes enabled, and not for a reader', async () => {
    expect((await bastion.client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['execute', 'change_schema']));
    expect(data(await bastion.call('list_sources', {}))).toEqual({ sources: [{ name: 'main', engine: 'mysql', mode: 'read-write' }] });
    const reader = await startBastion({ sources: source() }, { ...WRITER, id: 'key:mysql-reader', role: 'reader' });
    try {
      expect((await reader.client.listTools()).tools.map((t) => t.name)).not.toContain('execute');
      expect(errorCode(await reader.call('execute', { sql: 'DELETE FROM customers WHERE id = 1', dry_run: false }))).toBe('TOOL_NOT_ALLOWED');
    } finally {
      await reader.close();
    }
    expect(await rows('SELECT id FROM customers WHERE id = 1')).toEqual([[1]]);
  });

  it('a DML dry run answers with the count and changes no row', async () => {
    const before = await customers();
    const answer = data(await bastion.call('execute', { sql: "UPDATE customers SET name = CONCAT(name, ' (vip)') WHERE country = ?", params: ['DE'] }));
    expect(answer).toMatchObject({ source: 'main', tool: 'execute', dry_run: true, affected_rows: 10, committed: false });
    expect(String(answer['notice'])).toMatch(/no RETURNING/);
    expect(answer['sample']).toBeUndefined();
    expect(await customers()).toEqual(before);
  });

  it('a DDL dry run creates nothing and says it was validated, not run', async () => {
    for (const sql of ['CREATE TABLE ai_notes (id INT PRIMARY KEY, body TEXT NOT NULL)', 'CREATE VIEW ai_names AS SELECT id, name FROM customers']) {
      const answer = data(await bastion.call('change_schema', { sql }));
      expect(answer).toMatchObject({ dry_run: true, validated_only: true, committed: false });
      expect(answer['affected_rows']).toBeUndefined();
      expect(String(answer['note'])).toMatch(/Nothing was run or changed/);
      expect(String(answer['notice'])).toMatch(/Validated, not run: MySQL\/MariaDB commits a schema change implicitly/);
    }
    const created = await relations();
    expect(created).not.toContain('ai_notes');
    expect(created).not.toContain('ai_names');
  });

  it('a real run without approval creates a pending approval and changes nothing until a person approves', async () => {
    const sql = 'DELETE FROM customers WHERE id = ?';
    const before = await customers();
    const pending = data(await bastion.call('execute', { sql, params: [20], dry_run: false }));
    expect(pending).toMatchObject({ status: 'pending' });
    expect(String(pending['dry_run_result'])).toContain('Parameters (bound to the placeholders, in order):\n  ?1 = 20\nDry run: 1 row would be deleted.');
    const id = pending['approval_id'] as string;
    expect(await customers()).toEqual(before);
    expect(errorCode(await bastion.call('execute', { sql, params: [20], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(await customers()).toEqual(before);

    await bastion.ctx.approvals!.decide(id, 'approved', 'alice@test');
    expect(errorCode(await bastion.call('execute', { sql, params: [19], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(await customers()).toEqual(before);
    const done = data(await bastion.call('execute', { sql, params: [20], dry_run: false, approval_id: id }));
    expect(done).toMatchObject({ dry_run: false, affected_rows: 1, committed: true });
    expect(await rows('SELECT COUNT(*) FROM customers WHERE id = 20')).toEqual([[0]]);
    expect(await rows('SELECT COUNT(*) FROM customers')).toEqual([[19]]);

    // A schema change waits for a person too; its pending answer says it was validated only.
    const ddl = data(await bastion.call('change_schema', { sql: 'CREATE TABLE ai_pending (id INT PRIMARY KEY)', dry_run: false }));
    expect(ddl).toMatchObject({ status: 'pending' });
    expect(String(ddl['dry_run_result'])).toMatch(/validated, not run/);
    expect(await relations()).not.toContain('ai_pending');

    const records = await auditRecords(bastion);
    const writes = records.filter((r) => r['tool'] === 'execute' || r['tool'] === 'change_schema');
    expect(writes.some((r) => r['dry_run'] === true && r['outcome'] === 'ok')).toBe(true);
    expect(writes.find((r) => (r['approval'] as { state?: string } | undefined)?.state === 'requested')).toMatchObject({ outcome: 'pending' });
    expect(writes.find((r) => (r['approval'] as { state?: string } | undefined)?.state === 'used')).toMatchObject({ outcome: 'ok', affected: 1, approval: { id, by: 'alice@test' } });
    expect(writes.every((r) => typeof r['fingerprint'] === 'string' && /^[0-9a-f]{16}$/.test(r['fingerprint']))).toBe(true);
  });

  it('with approval none a real run changes exactly what it says, and the audit says it was unapproved', async () => {
    const created = data(await robot.call('change_schema', { sql: 'CREATE TABLE ai_x (id INT PRIMARY KEY, note TEXT)', dry_run: false }));
    expect(created).toMatchObject({ committed: true });
    expect(String(created['definition'])).toMatch(/CREATE TABLE `ai_x`/);
    expect(data(await robot.call('execute', { sql: "INSERT INTO ai_x VALUES (1, 'a'), (2, 'b')", dry_run: false }))).toMatchObject({ affected_rows: 2, committed: true });
    expect(data(await robot.call('execute', { sql: "UPDATE ai_x SET note = 'c' WHERE id = ?", params: [2], dry_run: false }))).toMatchObject({ affected_rows: 1 });
    expect(await rows('SELECT id, note FROM ai_x ORDER BY id')).toEqual([
      [1, 'a'],
      [2, 'c'],
    ]);
    const view = data(await robot.call('change_schema', { sql: 'CREATE VIEW ai_x_report AS SELECT id FROM ai_x', dry_run: false }));
    expect(String(view['definition'])).not.toMatch(/root@|`root`/);
    expect(await relations()).toEqual(expect.arrayContaining(['ai_x', 'ai_x_report']));
    expect((await auditRecords(robot)).at(-1)).toMatchObject({ tool: 'change_schema', dry_run: false, approval: { state: 'none' }, outcome: 'ok' });
  });

  it('an UPDATE over the affected-row cap rolls back entirely', async () => {
    const before = await customers();
    expect(errorCode(await robot.call('execute', { sql: "UPDATE customers SET name = 'gone' WHERE id > 0", dry_run: false }))).toBe('WRITE_LIMIT_EXCEEDED');
    expect(await customers()).toEqual(before);
  });

  it('UPDATE and DELETE without a WHERE naming a column are refused and leave the rows intact', async () => {
    const before = await customers();
    for (const sql of ["UPDATE customers SET name = 'x'", "UPDATE customers SET name = 'x' WHERE 1=1", 'DELETE FROM customers', 'DELETE FROM customers WHERE TRUE']) {
      expect(errorCode(await robot.call('execute', { sql, dry_run: false })), sql).toBe('WRITE_NOT_ALLOWED');
    }
    expect(await customers()).toEqual(before);
  });

  it('prefix bypasses and other schema attacks change nothing: canary, catalog, other database and file system intact', async () => {
    const before = { customers: await customers(), relations: await relations(), other: await relations(other) };
    const columnsBefore = await rows("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers' ORDER BY 1");
    const attacks: [string, string][] = [
      ['DROP TABLE ai_x, customers', 'WRITE_NOT_ALLOWED'],
      ['ALTER TABLE ai_x RENAME TO customers', 'WRITE_NOT_ALLOWED'],
      ['ALTER TABLE customers ADD COLUMN x INT', 'WRITE_NOT_ALLOWED'],
      ['DROP TABLE AI_X', 'WRITE_NOT_ALLOWED'],
      ['CREATE TABLE AI_Y (id INT)', 'WRITE_NOT_ALLOWED'],
      [`CREATE TABLE ${other.name}.ai_z (id INT)`, 'WRITE_NOT_ALLOWED'],
      [`DROP TABLE ${db.name}.customers`, 'WRITE_NOT_ALLOWED'],
      ['CREATE INDEX ai_i ON customers (name)', 'WRITE_NOT_ALLOWED'],
      ['CREATE VIEW ai_v AS SELECT * FROM secrets', 'TABLE_NOT_FOUND'],
      ['CREATE TABLE ai_s AS SELECT token FROM secrets', 'TABLE_NOT_FOUND'],
      [`CREATE TABLE ai_t (id INT) DATA DIRECTORY = '${dataDir}'`, 'WRITE_NOT_ALLOWED'],
      ['CREATE DEFINER=root@localhost VIEW ai_v AS SELECT id FROM customers', 'WRITE_NOT_ALLOWED'],
      ['CREATE TABLE ai_t (id INT) /*! ; DROP TABLE customers */', 'SQL_FEATURE_DENIED'],
      ['DROP TABLE ai_x; DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
      ['TRUNCATE customers', 'WRITE_NOT_ALLOWED'],
      ['GRANT ALL ON *.* TO someone', 'WRITE_NOT_ALLOWED'],
      ["CREATE USER ai_user IDENTIFIED BY 'x'", 'WRITE_NOT_ALLOWED'],
      ['CREATE TRIGGER ai_tr BEFORE INSERT ON ai_x FOR EACH ROW SET NEW.note = 1', 'WRITE_NOT_ALLOWED'],
      ['CREATE TABLE mysql.ai_t (id INT)', 'WRITE_NOT_ALLOWED'],
      ['DROP TABLE ai_x CASCADE', 'SQL_PARSE_ERROR'],
    ];
    for (const [sql, code] of attacks) {
      expect(errorCode(await robot.call('change_schema', { sql, dry_run: false })), sql).toBe(code);
    }
    expect(await customers()).toEqual(before.customers);
    expect(await relations()).toEqual(before.relations);
    expect(await relations(other)).toEqual(before.other);
    expect(await rows("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers' ORDER BY 1")).toEqual(columnsBefore);
    expect(await rows("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'ai_i'")).toEqual([[0]]);
    expect(await rows("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()")).toEqual([[0]]);
    expect(await rows("SELECT COUNT(*) FROM mysql.user WHERE User IN ('someone', 'ai_user')")).toEqual([[0]]);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('data attacks through execute change nothing: no file read into a table, no hidden statement, no system table', async () => {
    const before = { customers: await customers(), aiX: await rows('SELECT id, note FROM ai_x ORDER BY id'), users: await users(), relations: await relations() };
    const outfile = join(dataDir, 'out.txt');
    const attacks: [string, string][] = [
      ["INSERT INTO ai_x (id, note) SELECT 9, LOAD_FILE('/etc/passwd')", 'SQL_FUNCTION_DENIED'],
      ["INSERT INTO ai_x VALUES (9, 'x') /*! ; DROP TABLE customers */", 'SQL_FEATURE_DENIED'],
      ['DELETE FROM customers WHERE id = 1; DROP TABLE customers', 'SQL_MULTIPLE_STATEMENTS'],
      ["DELETE FROM customers WHERE id = 1 /*M!100000 OR 1=1 */", 'SQL_FEATURE_DENIED'],
      ['TRUNCATE customers', 'WRITE_NOT_ALLOWED'],
      ["UPDATE mysql.user SET authentication_string = '' WHERE User = 'root'", 'WRITE_NOT_ALLOWED'],
      ["INSERT INTO mysql.user (Host, User) VALUES ('%', 'ai_evil')", 'WRITE_NOT_ALLOWED'],
      ['INSERT INTO ai_x (id, note) SELECT id + 100, token FROM secrets', 'TABLE_NOT_FOUND'],
      ['INSERT INTO ai_x (id, note) SELECT 100, User FROM mysql.user', 'DENIED_BY_POLICY'],
      [`INSERT INTO ai_x SELECT id, name FROM customers INTO OUTFILE '${outfile}'`, 'WRITE_NOT_ALLOWED'],
      ["REPLACE INTO customers VALUES (1, 'x', 'DE')", 'WRITE_NOT_ALLOWED'],
      ["INSERT INTO customers VALUES (1, 'x', 'DE') ON DUPLICATE KEY UPDATE name = 'pwned'", 'WRITE_NOT_ALLOWED'],
      ["UPDATE customers c JOIN secrets s ON s.id = c.id SET c.name = s.token WHERE c.id = 1", 'WRITE_NOT_ALLOWED'],
      ["UPDATE customers SET name = 'x' WHERE id = @@version", 'SQL_FEATURE_DENIED'],
      ['CREATE TABLE ai_q (id INT)', 'WRITE_NOT_ALLOWED'],
    ];
    for (const [sql, code] of attacks) {
      expect(errorCode(await robot.call('execute', { sql, dry_run: false })), sql).toBe(code);
    }
    expect(await customers()).toEqual(before.customers);
    expect(await rows('SELECT id, note FROM ai_x ORDER BY id')).toEqual(before.aiX);
    expect(await users()).toEqual(before.users);
    expect(await relations()).toEqual(before.relations);
    expect(existsSync(outfile)).toBe(false);
  });

  it('a change that would break a view, trigger or routine it does not name is refused before it runs, dry run or not', async () => {
    // MySQL keeps no dependencies: each of these statements alone succeeds on the
    // server and leaves the other object failing on its next use.
    await db.admin(`
      CREATE TABLE ai_dep (id INT PRIMARY KEY, note VARCHAR(20), spare INT) ENGINE=InnoDB;
      INSERT INTO ai_dep VALUES (1, 'kept', 0);
      CREATE INDEX ai_dep_note ON ai_dep (note);
      CREATE VIEW dep_report AS SELECT id, note FROM ai_dep FORCE INDEX (ai_dep_note);
      CREATE TABLE ai_feed (qty INT) ENGINE=InnoDB;
      CREATE TABLE orders (id INT PRIMARY KEY, qty INT) ENGINE=InnoDB;
      CREATE TRIGGER orders_feed AFTER INSERT ON orders FOR EACH ROW INSERT INTO ai_feed (qty) VALUES (NEW.qty);
      CREATE TABLE ai_counts (n INT) ENGINE=InnoDB;
      CREATE PROCEDURE count_things() SELECT COUNT(*) FROM ai_counts;
      CREATE VIEW ai_dep_view AS SELECT id, note FROM ai_dep;
      CREATE VIEW dep_view_user AS SELECT note FROM ai_dep_view;
      CREATE TABLE ai_own (id INT) ENGINE=InnoDB;
      CREATE TRIGGER ai_own_tr BEFORE INSERT ON ai_own FOR EACH ROW SET NEW.id = NEW.id + 1;`);
    const before = await relations();
    const refusals = [
      'DROP TABLE ai_dep',
      'DROP TABLE IF EXISTS ai_dep',
      'ALTER TABLE ai_dep RENAME TO ai_dep2',
      'ALTER TABLE ai_dep DROP COLUMN note',
      'ALTER TABLE ai_dep RENAME COLUMN note TO remark',
      'ALTER TABLE ai_dep CHANGE note remark VARCHAR(20)',
      'ALTER TABLE ai_dep DROP INDEX ai_dep_note',
      'DROP INDEX ai_dep_note ON ai_dep',
      'DROP TABLE ai_feed',
      'DROP TABLE ai_counts',
      'CREATE OR REPLACE VIEW ai_dep_view AS SELECT 1 AS other',
    ];
    for (const sql of refusals) {
      for (const dryRun of [true, false]) {
        const result = await robot.call('change_schema', { sql, dry_run: dryRun });
        expect(errorCode(result), `${sql} (dry run ${dryRun})`).toBe('WRITE_NOT_ALLOWED');
        expect(JSON.stringify(result.content), sql).toMatch(/view, trigger or routine that this change does not name/);
        // The message never names the object that depends on it.
        expect(JSON.stringify(result.content), sql).not.toMatch(/dep_report|dep_view_user|orders_feed|count_things/);
      }
    }
    expect(await relations()).toEqual(before);
    expect(await rows("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'ai_dep' ORDER BY ORDINAL_POSITION")).toEqual([['id'], ['note'], ['spare']]);
    // Each dependent object still works, checked by using it.
    expect(await rows('SELECT id, note FROM dep_report')).toEqual([[1, 'kept']]);
    expect(await rows('SELECT note FROM dep_view_user')).toEqual([['kept']]);
    await db.admin('INSERT INTO orders VALUES (1, 7)');
    expect(await rows('SELECT qty FROM ai_feed')).toEqual([[7]]);
    expect(await rows('SELECT COUNT(*) FROM ai_counts')).toEqual([[0]]);
    await db.admin('CALL count_things()');
    // What no other object uses still changes, and a table's own trigger goes with the table.
    expect(data(await robot.call('change_schema', { sql: 'ALTER TABLE ai_dep DROP COLUMN spare', dry_run: false }))).toMatchObject({ committed: true });
    expect(data(await robot.call('change_schema', { sql: 'DROP TABLE ai_own', dry_run: false }))).toMatchObject({ committed: true });
    expect(await relations()).not.toContain('ai_own');
    await db.admin('DROP TRIGGER orders_feed; DROP PROCEDURE count_things; DROP VIEW dep_report, dep_view_user, ai_dep_view; DROP TABLE ai_dep, ai_feed, ai_counts, orders');
  });

  it('owned objects can still be changed and dropped, one at a time', async () => {
    expect(data(await robot.call('change_schema', { sql: 'ALTER TABLE ai_x ADD COLUMN n INT NOT NULL DEFAULT 0', dry_run: false }))).toMatchObject({ committed: true });
    expect(data(await robot.call('change_schema', { sql: 'DROP VIEW ai_x_report', dry_run: false }))).toMatchObject({ committed: true });
    expect(data(await robot.call('change_schema', { sql: 'DROP TABLE ai_x', dry_run: false }))).toMatchObject({ committed: true });
    const now = await relations();
    expect(now).not.toContain('ai_x');
    expect(now).not.toContain('ai_x_report');
    expect(now).toContain('customers');
  });
});
