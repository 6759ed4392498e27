/**
 * A table stored in the order of a protected column answers questions about it through the
 * order of any scan (found by an independent attacker): `SELECT name FROM badges` of a SQLite
 * WITHOUT ROWID table keyed by a denied ssn returns names in the real ssn order, and no index
 * hint helps — the table is that order. The same for SQLite's INTEGER PRIMARY KEY (the rowid)
 * and for MySQL/MariaDB, where InnoDB clusters a table by its primary key (or, without one, by
 * a unique key on NOT NULL columns). Such a table is unreadable for the role, with the answer
 * of a table that does not exist (a view over it is denied already: on these engines a view
 * over any column rule is). A table whose protected
 * column is only in a secondary key stays readable. On SQLite always, MariaDB/MySQL when one answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

/** Names in the opposite order of their keys: a scan in key order returns them reversed. */
const ROWS = [
  ['999-00-0001', 'Zoe'],
  ['555-00-0002', 'Max'],
  ['111-00-0003', 'Amy'],
] as const;
const VALUES = ROWS.map(([key, name], i) => `('${key}', '${name}', ${i + 1})`).join(', ');

const COMMON = [
  `INSERT INTO badges (ssn, name, n) VALUES ${VALUES}`,
  `INSERT INTO people (ssn, name, id) VALUES ${VALUES}`,
];
const SQLITE = [
  'CREATE TABLE badges (ssn TEXT PRIMARY KEY, name TEXT, n INTEGER) WITHOUT ROWID',
  'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT)',
  // The rowid is the INTEGER PRIMARY KEY: rows are stored in its order.
  'CREATE TABLE cards (pin INTEGER PRIMARY KEY, name TEXT)',
  'INSERT INTO cards VALUES (900, \'Zoe\'), (500, \'Max\'), (100, \'Amy\')',
  // A TEXT primary key of a rowid table is an index beside the table: read without it.
  'CREATE TABLE tags (code TEXT PRIMARY KEY, name TEXT)',
  `INSERT INTO tags (code, name) VALUES ${ROWS.map(([key, name]) => `('${key}', '${name}')`).join(', ')}`,
  ...COMMON,
];
const MYSQL = [
  'CREATE TABLE badges (ssn VARCHAR(20) PRIMARY KEY, name VARCHAR(20), n INT) ENGINE=InnoDB',
  'CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20), ssn VARCHAR(20)) ENGINE=InnoDB',
  // No primary key: InnoDB clusters by the first unique key on NOT NULL columns.
  'CREATE TABLE cards (pin INT NOT NULL, name VARCHAR(20), UNIQUE KEY (pin)) ENGINE=InnoDB',
  'INSERT INTO cards VALUES (900, \'Zoe\'), (500, \'Max\'), (100, \'Amy\')',
  // Partitioned by a masked column: read partition by partition, in the order of its ranges.
  'CREATE TABLE ptab (id INT, name VARCHAR(20), salary INT) PARTITION BY RANGE (salary) (PARTITION p0 VALUES LESS THAN (60000), PARTITION p1 VALUES LESS THAN (80000), PARTITION p2 VALUES LESS THAN MAXVALUE)',
  'INSERT INTO ptab VALUES (1, \'Zoe\', 90000), (2, \'Max\', 70000), (3, \'Amy\', 10000)',
  ...COMMON,
];

function rolesFor(schema: string): Record<string, unknown> {
  return {
    analyst: {
      tools: ['list_*', 'describe_table', 'query'],
      tables: { allow: [`${schema}.*`] },
      columns: {
        deny: [`${schema}.badges.ssn`, `${schema}.people.ssn`],
        mask: { [`${schema}.cards.pin`]: 'null', [`${schema}.tags.code`]: 'hash', [`${schema}.ptab.salary`]: 'hash' },
      },
    },
  };
}
const ANALYST = { id: 'p:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };

function namesIn(result: CallToolResult): string[] {
  const text = JSON.stringify(result);
  return ROWS.map(([, name]) => name).filter((name) => text.includes(`"${name}"`));
}

function suite(label: string, open: () => Promise<{ schema: string; source: Record<string, unknown>; done: () => Promise<void> }>, sqliteOnly: boolean): void {
  describe(label, () => {
    let bastion: TestBastion;
    let done: () => Promise<void>;
    beforeAll(async () => {
      const opened = await open();
      done = opened.done;
      bastion = await startBastion({ sources: { main: opened.source }, roles: rolesFor(opened.schema) }, ANALYST);
    }, 60_000);
    afterAll(async () => {
      await bastion.close();
      await done();
    });

    it.each(['badges', 'cards'])('a table stored in a protected column\'s order (%s) returns no row, answered like a missing table', async (table) => {
      const result = await bastion.call('query', { sql: `SELECT name FROM ${table}` });
      expect(errorCode(result)).toBe('TABLE_NOT_FOUND');
      expect(namesIn(result)).toEqual([]);
      const missing = await bastion.call('query', { sql: 'SELECT name FROM no_such_table' });
      expect(JSON.stringify(result.content).replaceAll(table, 'T').replace(/correlation id: [\w-]+/, '')).toBe(
        JSON.stringify(missing.content).replaceAll('no_such_table', 'T').replace(/correlation id: [\w-]+/, ''),
      );
      expect(errorCode(await bastion.call('describe_table', { table }))).toBe('TABLE_NOT_FOUND');
    });

    it('list_tables does not show them', async () => {
      const listed = await bastion.call('list_tables', {});
      const names = (listed.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name);
      expect(names).toContain('people');
      for (const table of ['badges', 'cards']) expect(names).not.toContain(table);
    });

    it('a table whose protected column is outside its storage key stays readable, without it', async () => {
      const result = await bastion.call('query', { sql: 'SELECT * FROM people' });
      expect(rowsOf(result)).toHaveLength(3);
      expect(JSON.stringify(result)).not.toContain('-00-000');
    });

    it.runIf(!sqliteOnly)('a table partitioned by a protected column is unreadable: its partitions come in the order of that column', async () => {
      const result = await bastion.call('query', { sql: 'SELECT GROUP_CONCAT(name) FROM ptab' });
      expect(errorCode(result)).toBe('TABLE_NOT_FOUND');
      expect(namesIn(result)).toEqual([]);
    });

    it.runIf(sqliteOnly)('a rowid table whose protected TEXT primary key is a separate index stays readable, masked', async () => {
      const result = await bastion.call('query', { sql: 'SELECT code, name FROM tags' });
      expect(rowsOf(result)).toHaveLength(3);
      expect(JSON.stringify(result)).not.toContain('-00-000');
    });
  });
}

suite('storage order on SQLite', () => {
  ensureWorkerBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'bastion-storage-order-'));
  const path = join(dir, 'order.db');
  const db = new Database(path);
  for (const sql of SQLITE) db.exec(sql);
  db.close();
  return Promise.resolve({ schema: 'main', source: { engine: 'sqlite', path }, done: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
}, true);

describe.skipIf(!mariadb.ok)('storage order on MariaDB/MySQL', () => {
  let db: TestMysqlDatabase;
  suite('storage order on MariaDB/MySQL', async () => {
    db = await createMysqlDatabase();
    for (const sql of MYSQL) await db.admin(sql);
    return { schema: db.name, source: { engine: 'mysql', url: db.url }, done: () => db.drop() };
  }, false);
});
