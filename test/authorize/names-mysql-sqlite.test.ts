/**
 * Names on MySQL/MariaDB and SQLite, where writes are checked by column name: a column
 * written in another case (`SALARY`, `Ssn`) is the protected column, and a row-id name
 * (SQLite `rowid`, `oid`, `_rowid_`; MySQL `_rowid`) is the integer primary key it
 * aliases, so neither copies nor filters on a protected value. Reads, rebuilt for the
 * role, offer neither. Judged by effect: the stored rows hold no planted value, a refused
 * write leaves every table as it was and answers no count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const SSN = '987-65-4321';
const EMAIL = 'zed.marker@corp.example';
const SALARY = 987654;
const ACCOUNT = 730123456;
const PAY = 876543;
const BADGE = 'BDG-SECRET-9';
const PLANTED = [SSN, EMAIL, 'zed.marker', String(SALARY), String(ACCOUNT), String(PAY), BADGE];

const NAMES_TABLES = [
  'CREATE TABLE employees (id INTEGER PRIMARY KEY, name VARCHAR(50), dept VARCHAR(20), email VARCHAR(80), ssn VARCHAR(20), salary INTEGER)',
  'CREATE TABLE projects (id INTEGER PRIMARY KEY, emp_id INTEGER, title VARCHAR(200))',
  'CREATE TABLE accounts (acct_no INTEGER PRIMARY KEY, owner VARCHAR(50))',
  `INSERT INTO employees VALUES (1, 'Zed', 'ops', '${EMAIL}', '${SSN}', ${SALARY})`,
  "INSERT INTO employees VALUES (2, 'Amy', 'dev', 'amy@example.com', '111-11-1111', 50000)",
  "INSERT INTO projects VALUES (1, 1, 'start')",
  `INSERT INTO accounts VALUES (${ACCOUNT}, 'Alice')`,
  // Columns stored in mixed case, ruled in lower case.
  'CREATE TABLE staff (id INTEGER PRIMARY KEY, Pay INTEGER, Badge VARCHAR(20))',
  `INSERT INTO staff VALUES (1, ${PAY}, '${BADGE}')`,
];

function namesRole(schema: string, tools: string[]): Record<string, unknown> {
  return {
    tools,
    tables: { allow: [`${schema}.*`] },
    columns: {
      deny: [`${schema}.employees.ssn`, `${schema}.accounts.acct_no`, `${schema}.staff.badge`],
      mask: { [`${schema}.employees.salary`]: 'null', [`${schema}.employees.email`]: 'partial', [`${schema}.staff.pay`]: 'null' },
    },
    approval: { '*': 'none' },
  };
}
const ROBOT = { id: 'key:robot', kind: 'api_key' as const, role: 'robot', scopes: [] };

function planted(value: unknown): string[] {
  const text = JSON.stringify(value);
  return PLANTED.filter((v) => text.includes(v));
}

/** Protected columns named in another case: each refused. */
const OTHER_CASE = [
  "UPDATE employees SET dept = 'z' WHERE SALARY > 100000",
  'INSERT INTO projects (id, emp_id, title) SELECT 10 + id, id, SSN FROM employees',
  'INSERT INTO projects (id, emp_id, title) SELECT 20 + id, id, Email FROM employees',
  'INSERT INTO projects (id, emp_id, title) SELECT 30 + id, id, SaLaRy FROM employees',
  'UPDATE projects SET title = (SELECT employees.Ssn FROM employees WHERE id = 1) WHERE id = 1',
  'UPDATE projects SET title = (SELECT x FROM (SELECT SALARY AS x FROM employees WHERE id = 1) s) WHERE id = 1',
  'UPDATE accounts SET owner = owner WHERE ACCT_NO > 5',
  'INSERT INTO projects (id, emp_id, title) SELECT 400 + id, 0, Pay FROM staff',
  'INSERT INTO projects (id, emp_id, title) SELECT 500 + id, 0, badge FROM staff',
  'UPDATE staff SET Pay = 1 WHERE id = 1',
  'DELETE FROM staff WHERE PAY > 800000',
];

interface Engine {
  label: string;
  schema: string;
  source: Record<string, unknown>;
  /** The engine's names for the row id. */
  rowIds: readonly string[];
  /** Reads outside Bastion. */
  rows(sql: string): Promise<unknown[][]>;
  done(): Promise<void>;
}

function suite(label: string, open: () => Promise<Engine>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let engine: Engine;
    beforeAll(async () => {
      engine = await open();
      const sources = { main: { ...engine.source, writes: { enabled: true } } };
      bastion = await startBastion({ sources, roles: { robot: namesRole(engine.schema, ['query', 'execute']) } }, ROBOT);
    }, 60_000);
    afterAll(async () => {
      await bastion?.close();
      await engine?.done();
    });

    const stored = async (): Promise<unknown[][]> => [
      ...(await engine.rows('SELECT id, name, dept, email, ssn, salary FROM employees ORDER BY id')),
      ...(await engine.rows('SELECT id, emp_id, title FROM projects ORDER BY id')),
      ...(await engine.rows('SELECT acct_no, owner FROM accounts ORDER BY acct_no')),
      ...(await engine.rows('SELECT id, Pay, Badge FROM staff ORDER BY id')),
    ];
    const refusedUnchanged = async (sql: string, dryRun = false): Promise<void> => {
      const before = await stored();
      const result = await bastion.call('execute', { sql, dry_run: dryRun });
      // A table stored in its denied key's order (accounts) is unreadable as a whole (storage order): TABLE_NOT_FOUND.
      expect(['DENIED_BY_POLICY', 'TABLE_NOT_FOUND'], JSON.stringify(result)).toContain(errorCode(result));
      expect(planted(result)).toEqual([]);
      expect(result.structuredContent ?? {}).not.toHaveProperty('affected_rows');
      expect(await stored()).toEqual(before);
    };

    it.each(OTHER_CASE)('a protected column in another case is the protected column: %s is refused, nothing changes', async (sql) => {
      await refusedUnchanged(sql);
    });

    it('a row id copied out of a table whose key is denied is refused, in a dry run too, and nothing is stored', async () => {
      for (const rowId of engine.rowIds) {
        for (const dryRun of [true, false]) {
          await refusedUnchanged(`INSERT INTO projects (id, emp_id, title) SELECT 100, 0, ${rowId} FROM accounts WHERE owner = 'Alice'`, dryRun);
        }
      }
    });

    it('a row id as a filter answers no count: refused, nothing changes', async () => {
      for (const rowId of engine.rowIds) {
        await refusedUnchanged(`UPDATE accounts SET owner = owner WHERE ${rowId} > 5`);
        await refusedUnchanged(`DELETE FROM projects WHERE id IN (SELECT 1 FROM accounts WHERE ${rowId} = ${ACCOUNT})`);
      }
    });

    it('reads offer no row id of a table whose key is denied, nor a protected column in another case', async () => {
      for (const rowId of engine.rowIds) {
        const read = await bastion.call('query', { sql: `SELECT ${rowId} AS k, owner FROM accounts` });
        expect(planted(read)).toEqual([]);
        const probe = await bastion.call('query', { sql: `SELECT owner FROM accounts WHERE ${rowId} = ${ACCOUNT}` });
        expect(JSON.stringify(probe)).not.toContain('Alice');
      }
      const filtered = await bastion.call('query', { sql: `SELECT id, SALARY, Email FROM employees WHERE SALARY = ${SALARY}` });
      expect(rowsOf(filtered)).toEqual([]);
      expect(planted(await bastion.call('query', { sql: 'SELECT id, SALARY, EMAIL FROM employees' }))).toEqual([]);
    });

    it('a column stored in mixed case is ruled by its lower-case rule: read masked or absent, never matched by a filter', async () => {
      const all = await bastion.call('query', { sql: 'SELECT * FROM staff' });
      expect(rowsOf(all)).toEqual([[1, null]]);
      expect(planted(all)).toEqual([]);
      expect(rowsOf(await bastion.call('query', { sql: `SELECT id FROM staff WHERE Pay = ${PAY} OR pay > 800000` }))).toEqual([]);
      expect(planted(await bastion.call('query', { sql: 'SELECT Badge FROM staff' }))).toEqual([]);
    });

    it('allowed columns in any case still work: the write lands and copies no planted value', async () => {
      const copied = await bastion.call('execute', { sql: 'INSERT INTO projects (id, emp_id, title) SELECT 50 + id, ID, NAME FROM employees WHERE id = 1', dry_run: false });
      expect(copied.isError, JSON.stringify(copied)).toBeFalsy();
      const updated = await bastion.call('execute', { sql: "UPDATE employees SET DEPT = 'moved' WHERE ID = 2", dry_run: false });
      expect(updated.isError, JSON.stringify(updated)).toBeFalsy();
      expect(await engine.rows('SELECT id, title FROM projects WHERE id = 51')).toEqual([[51, 'Zed']]);
      expect(await engine.rows('SELECT dept FROM employees WHERE id = 2')).toEqual([['moved']]);
      expect(planted(await engine.rows('SELECT * FROM projects'))).toEqual([]);
    });
  });
}

suite('names on SQLite', () => {
  ensureWorkerBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'bastion-names-'));
  const path = join(dir, 'names.db');
  const db = new Database(path);
  for (const sql of NAMES_TABLES) db.exec(sql);
  db.close();
  const rows = (sql: string): Promise<unknown[][]> => {
    const probe = new Database(path, { readonly: true });
    try {
      return Promise.resolve(probe.prepare(sql).raw().all() as unknown[][]);
    } finally {
      probe.close();
    }
  };
  const done = (): Promise<void> => Promise.resolve(rmSync(dir, { recursive: true, force: true }));
  return Promise.resolve({ label: 'SQLite', schema: 'main', source: { engine: 'sqlite', path }, rowIds: ['rowid', 'oid', '_rowid_', 'ROWID', 'accounts._ROWID_'], rows, done });
});

describe.skipIf(!mariadb.ok)('names on MariaDB/MySQL', () => {
  let db: TestMysqlDatabase;
  suite('names on MariaDB/MySQL', async () => {
    db = await createMysqlDatabase();
    for (const sql of NAMES_TABLES) await db.admin(sql);
    const rows = async (sql: string): Promise<unknown[][]> => (await db.admin(sql)).map((row) => Object.values(row) as unknown[]);
    return { label: 'MariaDB', schema: db.name, source: { engine: 'mysql', url: db.url }, rowIds: ['_rowid', '_ROWID', 'accounts._rowid'], rows, done: () => db.drop() };
  });
});
