/**
 * SQLite routes to rows a rule protects that do not go through the table's name (found by an
 * independent attacker): a view whose table is written as a string (`FROM 'employees'`, which
 * SQLite reads as a name), and the shadow tables of a virtual table (`docs_content` of an FTS5
 * table `docs`), which hold its rows under other column names; and the order of rows read
 * through an index on a denied column. Judged by effect: the planted values never appear in
 * any answer, listing or description, and no answer follows their order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const SSN = '918-27-4635';
const EMAIL = 'zed.marker@corp.example';
const TOKEN = 'TOKEN-XYZZY-4242';

const SETUP = [
  'CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, email TEXT, ssn TEXT)',
  `INSERT INTO employees VALUES (1, 'Zed', '${EMAIL}', '${SSN}')`,
  'CREATE TABLE secrets (id INTEGER PRIMARY KEY, token TEXT)',
  `INSERT INTO secrets VALUES (1, '${TOKEN}')`,
  "CREATE VIEW v_string AS SELECT * FROM main.'employees'",
  "CREATE VIEW v_string_secret AS SELECT * FROM 'secrets'",
  "CREATE VIEW v_string_join AS SELECT e.* FROM secrets s JOIN 'employees' e ON e.id = s.id",
  'CREATE VIRTUAL TABLE docs USING fts5(title, body)',
  `INSERT INTO docs VALUES ('t1', 'body of ${EMAIL} with ${SSN}')`,
  // An index on a denied column: a covering scan would return ids in ssn order (4, 2, 3, 1).
  'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, ssn TEXT UNIQUE)',
  "INSERT INTO people VALUES (1, 'a', '918-27-4635'), (2, 'b', '123-45-6789'), (3, 'c', '555-11-2222'), (4, 'd', '100-00-0000')",
  'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)',
  "INSERT INTO notes VALUES (1, 'plain')",
];

const ROLES = {
  analyst: {
    tools: ['query', 'list_tables', 'describe_table'],
    tables: { allow: ['main.*'], deny: ['main.secrets'] },
    columns: { deny: ['main.employees.ssn', 'main.people.ssn'], mask: { 'main.employees.email': 'partial', 'main.docs.body': 'null' } },
  },
};
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };

const leaks = (result: CallToolResult): boolean => {
  const text = JSON.stringify(result);
  return [SSN, EMAIL, TOKEN, 'zed.marker', '4635'].some((needle) => text.includes(needle));
};

describe('SQLite: rows a rule protects, reached without the table name', () => {
  let bastion: TestBastion;
  let dir: string;
  beforeAll(async () => {
    ensureWorkerBuilt();
    dir = mkdtempSync(join(tmpdir(), 'bastion-hidden-rows-'));
    const path = join(dir, 'db.sqlite');
    const db = new Database(path);
    for (const sql of SETUP) db.exec(sql);
    db.close();
    bastion = await startBastion({ sources: { main: { engine: 'sqlite', path } }, roles: ROLES }, ANALYST);
  }, 60_000);
  afterAll(async () => {
    await bastion.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    'SELECT * FROM v_string',
    'SELECT * FROM v_string_secret',
    'SELECT * FROM v_string_join',
    'SELECT * FROM docs_content',
    "SELECT * FROM docs_content WHERE c1 LIKE '%4635%'",
    'SELECT count(*) FROM docs_content',
    'SELECT * FROM docs_data',
    'SELECT * FROM docs_docsize',
    'SELECT * FROM docs',
  ])('no planted value comes out of: %s', async (sql) => {
    expect(leaks(await bastion.call('query', { sql })), sql).toBe(false);
  });

  it('rows do not come back in the order of an index on a denied column (no rank of the real values)', async () => {
    // Without the fix SQLite scans the covering ssn index: 4, 2, 3, 1 — ssn's order.
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT id FROM people' }))).toEqual([[1], [2], [3], [4]]);
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT id FROM people LIMIT 1' }))).toEqual([[1]]);
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT group_concat(id) FROM people' }))).toEqual([['1,2,3,4']]);
  });

  it('the string-named views and the shadow tables are invisible; the virtual table answers masked', async () => {
    for (const name of ['v_string', 'v_string_secret', 'v_string_join', 'docs_content', 'docs_data']) {
      expect(errorCode(await bastion.call('query', { sql: `SELECT count(*) FROM ${name}` })), name).toBe('TABLE_NOT_FOUND');
    }
    const listed = await bastion.call('list_tables', {});
    const names = (listed.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name);
    expect(names.filter((n) => n.startsWith('docs_') || n.startsWith('v_string'))).toEqual([]);
    expect(leaks(listed)).toBe(false);
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT title, body FROM docs' }))).toEqual([['t1', null]]);
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT text FROM notes' }))).toEqual([['plain']]);
  });
});
