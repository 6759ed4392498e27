/**
 * Writes under column rules on SQLite (always) and MariaDB/MySQL (when one answers), where
 * the engine cannot rebuild a statement and the rules apply by name: a table with a denied
 * or masked column may be written when the write names the columns it sets and neither
 * sets nor reads a protected one; a write may not read a masked column of another table
 * (it would store the real value); the dry run of such a table shows the count, no rows.
 * Judged by effect: the stored rows, read outside Bastion, hold no planted value, and a
 * refused write leaves the table as it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const SSN = '987-65-4321';
const EMAIL = 'zed.marker@corp.example';

const TABLES = [
  'CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(80), ssn VARCHAR(20))',
  'CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200))',
  `INSERT INTO people VALUES (1, 'Person 1', '${EMAIL}', '${SSN}')`,
  "INSERT INTO people VALUES (2, 'Person 2', 'two@example.com', '111-11-1111')",
  "INSERT INTO notes VALUES (1, 'start')",
];

function rolesFor(schema: string): Record<string, unknown> {
  return {
    robot: {
      tools: ['query', 'execute'],
      tables: { allow: [`${schema}.*`] },
      columns: { deny: [`${schema}.people.ssn`], mask: { [`${schema}.people.email`]: 'partial' } },
      approval: { '*': 'none' },
    },
  };
}
const ROBOT = { id: 'key:robot', kind: 'api_key' as const, role: 'robot', scopes: [] };

function planted(value: unknown): string[] {
  const text = JSON.stringify(value);
  return [SSN, EMAIL, 'zed.marker'].filter((v) => text.includes(v));
}

/** Each refused, leaving both tables as they were. */
const REFUSED: readonly (readonly [string, string])[] = [
  ['SET of a masked column', "UPDATE people SET email = 'attacker@example.com' WHERE id = 1"],
  ['SET of a denied column', "UPDATE people SET ssn = '000-00-0000' WHERE id = 1"],
  ['a denied column read into an allowed one', 'UPDATE people SET name = ssn WHERE id = 1'],
  ['a filter on a masked column of the target', "UPDATE people SET name = 'found' WHERE id = 1 AND email LIKE 'zed%'"],
  ['INSERT naming a protected column', "INSERT INTO people (id, name, email) VALUES (9, 'n', 'e')"],
  ['INSERT without a column list', "INSERT INTO people VALUES (9, 'n', 'e', 's')"],
  ['a masked column copied into another table', 'INSERT INTO notes (id, body) SELECT 100 + id, email FROM people'],
  ['a denied column copied through a renaming subquery', 'UPDATE notes SET body = (SELECT x FROM (SELECT ssn AS x FROM people WHERE id = 1) s) WHERE id = 1'],
  ['a star of the protected table copied', 'INSERT INTO notes (id, body) SELECT id, name FROM (SELECT * FROM people) s WHERE id = 1'],
];

interface Opened {
  schema: string;
  source: Record<string, unknown>;
  /** Reads outside Bastion. */
  rows(sql: string): Promise<unknown[][]>;
  done(): Promise<void>;
}

function suite(label: string, open: () => Promise<Opened>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let opened: Opened;
    beforeAll(async () => {
      opened = await open();
      bastion = await startBastion({ sources: { main: { ...opened.source, writes: { enabled: true } } }, roles: rolesFor(opened.schema) }, ROBOT);
    }, 60_000);
    afterAll(async () => {
      await bastion?.close();
      await opened?.done();
    });

    const stored = async (): Promise<unknown[][]> => [
      ...(await opened.rows('SELECT id, name, email, ssn FROM people ORDER BY id')),
      ...(await opened.rows('SELECT id, body FROM notes ORDER BY id')),
    ];
    const execute = (sql: string, dryRun = false): Promise<CallToolResult> => bastion.call('execute', { sql, dry_run: dryRun });

    it.each(REFUSED)('%s: refused, nothing stored or changed', async (_how, sql) => {
      const before = await stored();
      const result = await execute(sql);
      expect(errorCode(result), JSON.stringify(result)).toBe('DENIED_BY_POLICY');
      expect(planted(result)).toEqual([]);
      expect(await stored()).toEqual(before);
    });

    it('an UPDATE of an allowed column of a table with protected columns changes only that column', async () => {
      const result = await execute("UPDATE people SET name = 'Renamed 1' WHERE id = 1");
      expect(result.isError, JSON.stringify(result)).toBeFalsy();
      expect(planted(result)).toEqual([]);
      expect((await opened.rows('SELECT id, name, email, ssn FROM people WHERE id = 1'))).toEqual([[1, 'Renamed 1', EMAIL, SSN]]);
    });

    it('an INSERT naming only allowed columns works; its dry run shows the count and no row', async () => {
      const dry = await execute("INSERT INTO people (id, name) VALUES (7, 'Seven')", true);
      expect(dry.isError, JSON.stringify(dry)).toBeFalsy();
      expect(dry.structuredContent).toMatchObject({ affected_rows: 1, committed: false });
      expect(dry.structuredContent).not.toHaveProperty('sample');
      const dryUpdate = await execute("UPDATE people SET name = 'dry' WHERE id = 1", true);
      expect(dryUpdate.structuredContent).not.toHaveProperty('sample');
      expect(planted(dryUpdate)).toEqual([]);
      const real = await execute("INSERT INTO people (id, name) VALUES (7, 'Seven')");
      expect(real.isError, JSON.stringify(real)).toBeFalsy();
      expect(await opened.rows('SELECT id, name, email, ssn FROM people WHERE id = 7')).toEqual([[7, 'Seven', null, null]]);
      expect((await execute('DELETE FROM people WHERE id = 7')).isError).toBeFalsy();
    });

    it('a write to a table without rules is unchanged, allowed columns of a protected table may be copied', async () => {
      const copied = await execute('INSERT INTO notes (id, body) SELECT 200 + id, name FROM people WHERE id = 2');
      expect(copied.isError, JSON.stringify(copied)).toBeFalsy();
      expect(await opened.rows('SELECT id, body FROM notes WHERE id = 202')).toEqual([[202, 'Person 2']]);
    });
  });
}

suite('writes under column rules on SQLite', () => {
  ensureWorkerBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'bastion-write-rules-'));
  const path = join(dir, 'rules.db');
  const db = new Database(path);
  for (const sql of TABLES) db.exec(sql);
  db.close();
  const rows = (sql: string): Promise<unknown[][]> => {
    const probe = new Database(path, { readonly: true });
    try {
      return Promise.resolve(probe.prepare(sql).raw().all() as unknown[][]);
    } finally {
      probe.close();
    }
  };
  return Promise.resolve({ schema: 'main', source: { engine: 'sqlite', path }, rows, done: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
});

describe.skipIf(!mariadb.ok)('writes under column rules on MariaDB/MySQL', () => {
  let db: TestMysqlDatabase;
  suite('writes under column rules on MariaDB/MySQL', async () => {
    db = await createMysqlDatabase();
    for (const sql of TABLES) await db.admin(sql);
    const rows = async (sql: string): Promise<unknown[][]> => (await db.admin(sql)).map((row) => Object.values(row) as unknown[]);
    return { schema: db.name, source: { engine: 'mysql', url: db.url }, rows, done: () => db.drop() };
  });
});
