/**
 * What a role with column rules could learn from the database's own structures rather than
 * from values (issue 17, remaining channels), on every engine: a plan names the indexes on a
 * protected column and carries estimates from its values; a write that fails on a unique key
 * including a protected column tells whether another row shares that value; a write that
 * fails on a foreign key, or cascades, tells whether a hidden row exists. Each attack is
 * judged by effect — no plan comes back and the protected index's name appears nowhere; the
 * refused write changed nothing (read back by an unrestricted role) — and what a role may do
 * without asking such a question still works. On PGlite and SQLite always, on PostgreSQL and
 * MariaDB/MySQL when one answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb } from '../helpers/mariadb.js';
import { createTestDatabase, postgres } from '../helpers/postgres.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const SSN = '987-65-4321';
const EMAIL = 'zed.marker@corp.example';
const TOKEN = 'vault-4242';

/** Portable SQL: no primary key on ch_people, so a lookup by id can only use the index that holds ssn. */
const FIXTURE = [
  'CREATE TABLE ch_people (id INTEGER NOT NULL, name VARCHAR(50), team VARCHAR(20), email VARCHAR(80), ssn VARCHAR(20))',
  'CREATE INDEX ch_people_id_ssn ON ch_people (id, ssn)',
  'CREATE UNIQUE INDEX ch_people_team_ssn ON ch_people (team, ssn)',
  'CREATE UNIQUE INDEX ch_people_email ON ch_people (email)',
  `INSERT INTO ch_people VALUES (1, 'Zed', 'red', '${EMAIL}', '${SSN}'), (2, 'Amy', 'blue', 'amy@corp.example', '111-11-1111')`,
  "INSERT INTO ch_people (id, name) WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < 600) SELECT i, 'filler' FROM n",
  'CREATE TABLE ch_badges (id INTEGER PRIMARY KEY, code VARCHAR(20))',
  'CREATE UNIQUE INDEX ch_badges_code ON ch_badges (code)',
  // A denied table, a table pointing into it, and one it points into (ON DELETE CASCADE).
  'CREATE TABLE ch_vault (token VARCHAR(40) PRIMARY KEY)',
  `INSERT INTO ch_vault VALUES ('${TOKEN}')`,
  'CREATE TABLE ch_notes (id INTEGER PRIMARY KEY, ref VARCHAR(40), FOREIGN KEY (ref) REFERENCES ch_vault (token))',
  'CREATE TABLE ch_teams (name VARCHAR(20) PRIMARY KEY)',
  "INSERT INTO ch_teams VALUES ('red'), ('blue')",
  'CREATE TABLE ch_vault_rows (id INTEGER PRIMARY KEY, team VARCHAR(20), FOREIGN KEY (team) REFERENCES ch_teams (name) ON DELETE CASCADE)',
  "INSERT INTO ch_vault_rows VALUES (1, 'red'), (2, 'red')",
  // A foreign key onto a masked column.
  'CREATE TABLE ch_mails (id INTEGER PRIMARY KEY, email VARCHAR(80), FOREIGN KEY (email) REFERENCES ch_people (email))',
];

function roles(schema: string): Record<string, unknown> {
  const tables = { allow: [`${schema}.*`], deny: [`${schema}.ch_vault`, `${schema}.ch_vault_rows`] };
  return {
    analyst: {
      tools: ['query', 'explain', 'execute'],
      tables,
      columns: { deny: [`${schema}.ch_people.ssn`], mask: { [`${schema}.ch_people.email`]: 'partial' } },
      approval: { '*': 'none' },
    },
    // The same tables, no column rules: explain as before.
    viewer: { tools: ['query', 'explain'], tables },
  };
}
const ANALYST = { id: 'key:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };
const VIEWER = { id: 'key:viewer', kind: 'api_key' as const, role: 'viewer', scopes: [] };
const ADMIN = { id: 'key:admin', kind: 'api_key' as const, role: 'admin', scopes: [] };

function said(result: CallToolResult): string[] {
  const text = JSON.stringify(result);
  return [SSN, EMAIL, TOKEN, 'ch_people_id_ssn', 'ch_people_team_ssn'].filter((value) => text.includes(value));
}

interface Engine {
  schema: string;
  source: Record<string, unknown>;
  /** Runs setup SQL as the owner; absent: through the source's own write path once Bastion runs. */
  admin?: (sql: string) => Promise<void>;
  /** Makes the planner see the table's size. */
  analyze: string;
  /** What the explain tool takes before a SELECT. */
  explain: string;
  /** An INSERT that updates or skips a row on a key conflict, as the engine writes it. */
  upsert: string;
  /** What a write reads is rebuilt like a read (the PostgreSQL family). */
  rebuildsWrites?: boolean;
  done(): Promise<void>;
}

function suite(label: string, open: () => Promise<Engine>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let engine: Engine;
    let read: (sql: string) => Promise<unknown[][]>;
    let closeAdmin: () => Promise<void>;
    beforeAll(async () => {
      engine = await open();
      bastion = await startBastion({ sources: { main: { ...engine.source, writes: { enabled: true } } }, roles: roles(engine.schema) }, ANALYST);
      const source = bastion.ctx.sources.get('main')?.source;
      const admin = engine.admin ?? (async (sql: string) => void (await source?.write?.({ kind: 'ddl', sql, params: [], dryRun: false, maxAffectedRows: 0, maxBytes: 1 << 20 })));
      for (const sql of [...FIXTURE, engine.analyze]) await admin(sql);
      bastion.ctx.sources.get('main')?.catalog.invalidate();
      const session = await openSession(bastion.ctx, ADMIN);
      read = async (sql) => rowsOf(await session.call('query', { sql })).map((row) => row.map((value) => (typeof value === 'bigint' ? Number(value) : value)));
      closeAdmin = () => session.close();
    }, 60_000);
    afterAll(async () => {
      await closeAdmin?.();
      await bastion?.close();
      await engine?.done();
    });

    const execute = (sql: string): Promise<CallToolResult> => bastion.call('execute', { sql, dry_run: false });

    it('EXPLAIN of a statement reading a table with rules is refused, by the explain tool and through query', async () => {
      for (const [tool, sql] of [
        ['explain', 'SELECT name FROM ch_people WHERE id = 1'],
        ['query', 'SELECT name FROM ch_people WHERE id = 1'],
        ['explain', 'SELECT b.code FROM ch_badges b JOIN ch_people p ON p.id = b.id'],
      ] as const) {
        const result = await bastion.call(tool, { sql: `${engine.explain} ${sql}` });
        expect(errorCode(result), `${tool}: ${sql}: ${JSON.stringify(result)}`).toBe('DENIED_BY_POLICY');
        expect(said(result)).toEqual([]);
      }
    });

    it('EXPLAIN is unchanged for a table without rules, and for a role without column rules', async () => {
      const own = await bastion.call('explain', { sql: `${engine.explain} SELECT code FROM ch_badges WHERE id = 1` });
      expect(own.isError, JSON.stringify(own)).toBeFalsy();
      const viewer = await openSession(bastion.ctx, VIEWER);
      try {
        const plan = await viewer.call('explain', { sql: `${engine.explain} SELECT name FROM ch_people WHERE id = 1` });
        expect(plan.isError, JSON.stringify(plan)).toBeFalsy();
        // The plan a role without column rules gets names the index (SQLite's too): what the refusal keeps from the analyst.
        expect(JSON.stringify(plan)).toContain('ch_people_id_ssn');
      } finally {
        await viewer.close();
      }
    });

    it('a write that could fail on a unique key holding a protected column is refused and changes nothing', async () => {
      for (const sql of [
        // An INSERT, whatever it sets: a default or NULLS NOT DISTINCT would make it fail on the key.
        "INSERT INTO ch_people (id, name, team) VALUES (900, 'probe', 'red')",
        // Fails exactly when a blue row holds Zed's ssn.
        "UPDATE ch_people SET team = 'blue' WHERE id = 1",
      ]) {
        const result = await execute(sql);
        expect(errorCode(result), `${sql}: ${JSON.stringify(result)}`).toBe('DENIED_BY_POLICY');
        expect(said(result)).toEqual([]);
      }
      // The engine's upsert (SQLite's write policy refuses conflict clauses before any of this).
      const upsert = await execute(engine.upsert);
      expect(upsert.isError, JSON.stringify(upsert)).toBe(true);
      expect(said(upsert)).toEqual([]);
      expect(await read('SELECT id, team FROM ch_people WHERE id IN (1, 900, 901) ORDER BY id')).toEqual([[1, 'red']]);
    });

    it('a write that no unique key on a protected column can fail is carried out', async () => {
      const renamed = await execute("UPDATE ch_people SET name = 'Zed K' WHERE id = 1");
      expect(renamed.isError, JSON.stringify(renamed)).toBeFalsy();
      const badge = await execute("INSERT INTO ch_badges (id, code) VALUES (1, 'b-1')");
      expect(badge.isError, JSON.stringify(badge)).toBeFalsy();
      expect(await read('SELECT name FROM ch_people WHERE id = 1')).toEqual([['Zed K']]);
      expect(await read('SELECT id, code FROM ch_badges')).toEqual([[1, 'b-1']]);
    });

    it('a write reads a table with rules in no order of an index on a protected column', async () => {
      const copy = await execute('INSERT INTO ch_badges (id, code) SELECT id + 1000, name FROM ch_people WHERE id < 3');
      if (engine.rebuildsWrites) {
        // Read as a read is (without index-only scans): carried out.
        expect(copy.isError, JSON.stringify(copy)).toBeFalsy();
        expect((await execute('DELETE FROM ch_badges WHERE id > 1000')).isError).toBeFalsy();
        return;
      }
      // Read as written: the rows could come in the order of ch_people_id_ssn.
      expect(errorCode(copy), JSON.stringify(copy)).toBe('DENIED_BY_POLICY');
      expect(said(copy)).toEqual([]);
      expect(await read('SELECT count(*) FROM ch_badges WHERE id > 1000')).toEqual([[0]]);
    });

    it('a write whose foreign key reaches a denied table or a masked column is refused and changes nothing', async () => {
      for (const sql of [
        // Succeeds exactly when the denied table holds the token.
        `INSERT INTO ch_notes (id, ref) VALUES (1, '${TOKEN}')`,
        // Cascades into the denied table (or is stopped by it): the count or the failure tells.
        "DELETE FROM ch_teams WHERE name = 'red'",
        // Succeeds exactly when someone's real email is this one.
        `INSERT INTO ch_mails (id, email) VALUES (1, '${EMAIL}')`,
      ]) {
        const result = await execute(sql);
        expect(errorCode(result), `${sql}: ${JSON.stringify(result)}`).toBe('DENIED_BY_POLICY');
        expect(said(result)).toEqual([]);
      }
      expect(await read('SELECT count(*) FROM ch_notes')).toEqual([[0]]);
      expect(await read('SELECT count(*) FROM ch_mails')).toEqual([[0]]);
      expect(await read("SELECT name FROM ch_teams WHERE name = 'red'")).toEqual([['red']]);
      expect(await read('SELECT count(*) FROM ch_vault_rows')).toEqual([[2]]);
    });
  });
}

const PG = { schema: 'public', rebuildsWrites: true, analyze: 'ANALYZE ch_people', explain: 'EXPLAIN', upsert: "INSERT INTO ch_people (id, name, team) VALUES (901, 'probe', 'red') ON CONFLICT DO NOTHING" };

suite('constraint and plan channels on PGlite', () => Promise.resolve({ ...PG, source: { engine: 'pglite' }, done: () => Promise.resolve() }));

describe.skipIf(!postgres.ok)('on PostgreSQL (when one answers)', () => {
  suite('constraint and plan channels on PostgreSQL', async () => {
    const db = await createTestDatabase({ seed: false });
    return { ...PG, source: { engine: 'postgres', url: db.url }, admin: async (sql) => void (await db.admin(sql)), done: () => db.drop() };
  });
});

suite('constraint and plan channels on SQLite', () => {
  ensureWorkerBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'bastion-channels-'));
  const path = join(dir, 'channels.db');
  const db = new Database(path);
  for (const sql of [...FIXTURE, 'ANALYZE']) db.exec(sql);
  db.close();
  return Promise.resolve({
    schema: 'main',
    source: { engine: 'sqlite', path },
    // Set up above, before the worker opens the file.
    admin: () => Promise.resolve(),
    analyze: 'ANALYZE',
    explain: 'EXPLAIN QUERY PLAN',
    upsert: PG.upsert,
    rebuildsWrites: false,
    done: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});

describe.skipIf(!mariadb.ok)('on MariaDB/MySQL (when one answers)', () => {
  suite('constraint and plan channels on MariaDB/MySQL', async () => {
    const db = await createMysqlDatabase();
    return {
      schema: db.name,
      source: { engine: 'mysql', url: db.url },
      admin: async (sql) => void (await db.admin(sql)),
      analyze: 'ANALYZE TABLE ch_people',
      explain: 'EXPLAIN',
      upsert: "REPLACE INTO ch_people (id, name, team) VALUES (901, 'probe', 'red')",
      done: () => db.drop(),
    };
  });
});
