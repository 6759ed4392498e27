/**
 * Authorization of `execute` and `change_schema` against a real catalog: names
 * resolve as the database resolves them, schema changes stay in writes.schemas,
 * and a write never reads what the role may not read, nor carries a masked value.
 * Runs on PGlite always and on PostgreSQL when one answers.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelationCatalog } from '../../src/engines/postgres-family/catalog.js';
import type { WriteTool } from '../../src/engine/policy.js';
import { compileRole, type Role } from '../../src/authorize/roles.js';
import { authorizeWrite, type AuthorizedWrite } from '../../src/authorize/write.js';
import { roleSchema } from '../../src/config/schema-access.js';
import { writesSchema, type WritesConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import { SqlPolicy } from '../../src/engines/postgres-family/policy/policy.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

type Exec = (sql: string, params?: unknown[]) => Promise<unknown[][]>;

const SETUP = [
  'CREATE SCHEMA scratch',
  'CREATE SCHEMA other_schema',
  'CREATE SCHEMA hr',
  'CREATE TABLE public.customers (id int PRIMARY KEY, name text, email text)',
  'CREATE TABLE hr.salaries (id int PRIMARY KEY, amount numeric)',
  'CREATE TABLE hr.people (id int PRIMARY KEY, name text, ssn text)',
  'CREATE TABLE public.ai_log (id int, name text, note text)',
  'CREATE TABLE public.ai_t (id int PRIMARY KEY, name text)',
  'CREATE INDEX ai_t_name ON public.ai_t (name)',
  'CREATE TABLE other_schema.ai_x (a int PRIMARY KEY)',
  'CREATE TABLE scratch.ai_s (a int PRIMARY KEY)',
];

const analyst = compileRole(
  'analyst',
  roleSchema.parse({
    tools: ['*'],
    tables: { allow: ['public.*', 'hr.*', 'scratch.*', 'other_schema.*'], deny: ['hr.salaries'] },
    columns: { mask: { 'hr.people.ssn': 'hash', 'public.customers.email': 'partial' } },
  }),
);
const writer = compileRole('writer', roleSchema.parse({ tools: ['*'] }));
const PUBLIC_ONLY: WritesConfig = { ...writesSchema.parse({ enabled: true }), schemas: ['public'] };
const PUBLIC_AND_SCRATCH: WritesConfig = { ...writesSchema.parse({ enabled: true }), schemas: ['public', 'scratch'] };

/** A catalog over its own search path, as a source's connection would see it. */
function catalogOver(exec: Exec, searchPath: string): RelationCatalog {
  return new RelationCatalog(async (request) => {
    await exec('SELECT pg_catalog.set_config($1, $2, false)', ['search_path', searchPath]);
    const rows = await exec(request.sql, [...request.params]);
    return { columns: [], rows, truncated: false, bytes: 0 };
  });
}

function writeAuthorizationSuite(label: string, open: () => Promise<{ exec: Exec; close: () => Promise<void> }>): void {
  describe(label, () => {
    let exec: Exec;
    let close: () => Promise<void>;
    let policy: SqlPolicy;
    beforeAll(async () => {
      ({ exec, close } = await open());
      for (const sql of SETUP) await exec(sql);
      policy = await SqlPolicy.create();
    });
    afterAll(async () => close());

    async function authorize(
      sql: string,
      tool: WriteTool,
      options: { role?: Role; writes?: WritesConfig; searchPath?: string; byConstruction?: boolean } = {},
    ): Promise<AuthorizedWrite> {
      const writes = options.writes ?? PUBLIC_ONLY;
      const checked = policy.checkWriteStatement(sql, tool, { prefix: writes.prefix, allowUnbounded: writes.allow_unbounded });
      return authorizeWrite(options.role ?? analyst, checked, catalogOver(exec, options.searchPath ?? '"$user", public'), writes, { byConstruction: options.byConstruction });
    }

    async function refusal(promise: Promise<unknown>): Promise<string> {
      try {
        await promise;
        return 'ALLOWED';
      } catch (error) {
        if (error instanceof BastionError) return error.code;
        throw error;
      }
    }

    /** Where PostgreSQL itself puts the object: run the statement on that search path, look, roll back. */
    async function landsIn(sql: string, name: string, searchPath: string): Promise<string | undefined> {
      await exec('BEGIN');
      try {
        await exec('SELECT pg_catalog.set_config($1, $2, true)', ['search_path', searchPath]);
        await exec(sql);
        const rows = await exec('SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1 ORDER BY 1', [name]);
        return rows.map((r) => String(r[0])).join(',');
      } finally {
        await exec('ROLLBACK');
      }
    }

    it('an owned object outside writes.schemas is refused, however it is named', async () => {
      expect(await refusal(authorize('CREATE TABLE other_schema.ai_new (a int)', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      expect(await refusal(authorize('DROP TABLE other_schema.ai_x', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      expect(await refusal(authorize('ALTER TABLE other_schema.ai_x ADD COLUMN b int', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      // unqualified, but the search path finds it in other_schema: that is where DROP would act
      expect(await refusal(authorize('DROP TABLE ai_x', 'change_schema', { searchPath: 'other_schema, public' }))).toBe('WRITE_NOT_ALLOWED');
    });

    it('an unqualified CREATE resolves to current_schema(), where PostgreSQL puts it', async () => {
      const sql = 'CREATE TABLE ai_new (a int)';
      expect(await refusal(authorize(sql, 'change_schema', { searchPath: 'scratch, public' }))).toBe('WRITE_NOT_ALLOWED');
      const allowed = await authorize(sql, 'change_schema', { searchPath: 'scratch, public', writes: PUBLIC_AND_SCRATCH });
      expect(allowed.target).toEqual({ schema: 'scratch', name: 'ai_new' });
      expect(allowed.describe).toEqual({ schema: 'scratch', name: 'ai_new', type: 'table' });
      expect(await landsIn(sql, 'ai_new', 'scratch, public')).toBe('scratch');
      // a schema on the path that does not exist is skipped, as PostgreSQL skips it
      const skipped = await authorize(sql, 'change_schema', { searchPath: 'nosuch, public' });
      expect(skipped.target.schema).toBe('public');
      expect(await landsIn(sql, 'ai_new', 'nosuch, public')).toBe('public');
    });

    it('a view over a table the role may not read is refused', async () => {
      for (const sql of [
        'CREATE VIEW ai_v AS SELECT * FROM hr.salaries',
        'CREATE VIEW ai_v AS SELECT p.name FROM hr.people p WHERE p.id IN (SELECT id FROM hr.salaries)',
        'CREATE MATERIALIZED VIEW ai_m AS SELECT amount FROM hr.salaries',
        'CREATE TABLE ai_copy AS SELECT * FROM hr.salaries',
        'CREATE TABLE ai_like (LIKE hr.salaries)',
      ]) {
        expect(await refusal(authorize(sql, 'change_schema')), sql).toBe('TABLE_NOT_FOUND');
      }
      // the same view is fine for a role that may read the table
      expect((await authorize('CREATE VIEW ai_v AS SELECT * FROM hr.salaries', 'change_schema', { role: writer })).target).toEqual({ schema: 'public', name: 'ai_v' });
    });

    it('without construction (MySQL, SQLite), a masked column is refused anywhere in a write, even selected as it is', async () => {
      for (const [sql, tool] of [
        ['INSERT INTO ai_log (id, name) SELECT id, ssn FROM hr.people', 'execute'],
        ['INSERT INTO ai_log SELECT * FROM hr.people', 'execute'],
        ['UPDATE ai_log SET note = p.ssn FROM hr.people p WHERE p.id = ai_log.id', 'execute'],
        ["DELETE FROM ai_log WHERE id IN (SELECT id FROM hr.people WHERE ssn LIKE '1%')", 'execute'],
        ['CREATE VIEW ai_v AS SELECT name, ssn FROM hr.people', 'change_schema'],
        ['CREATE TABLE ai_copy AS SELECT email FROM customers', 'change_schema'],
        ['CREATE TABLE ai_like (LIKE hr.people)', 'change_schema'],
      ] as const) {
        expect(await refusal(authorize(sql, tool)), sql).toBe('DENIED_BY_POLICY');
      }
      // the unmasked columns of the same table may be copied
      const allowed = await authorize('INSERT INTO ai_log (id, name) SELECT id, name FROM hr.people WHERE id < $1', 'execute');
      expect(allowed.target).toEqual({ schema: 'public', name: 'ai_log' });
    });

    it('a write into a denied table is refused as if the table did not exist', async () => {
      expect(await refusal(authorize('INSERT INTO hr.salaries VALUES (1, 2)', 'execute'))).toBe('TABLE_NOT_FOUND');
      expect(await refusal(authorize('DELETE FROM hr.salaries WHERE id = 1', 'execute'))).toBe('TABLE_NOT_FOUND');
      expect(await refusal(authorize('UPDATE nosuch SET a = 1 WHERE a = 2', 'execute'))).toBe('TABLE_NOT_FOUND');
      expect((await authorize('INSERT INTO hr.salaries VALUES (1, 2)', 'execute', { role: writer })).target).toEqual({ schema: 'hr', name: 'salaries' });
    });

    it('without construction (MySQL, SQLite), a write into a table with a masked column is refused outright', async () => {
      expect(await refusal(authorize("UPDATE customers SET name = 'x' WHERE id = 1", 'execute'))).toBe('DENIED_BY_POLICY');
      expect(await refusal(authorize("INSERT INTO hr.people (id, name) VALUES (9, 'x')", 'execute'))).toBe('DENIED_BY_POLICY');
    });

    it('by construction (PostgreSQL family), a write into a table with a masked column is handed to the engine with every column\'s treatment', async () => {
      const allowed = await authorize("UPDATE customers SET name = 'x' WHERE id = 1", 'execute', { byConstruction: true });
      expect(allowed.protection?.target).toEqual({
        schema: 'public',
        name: 'customers',
        columns: [
          { name: 'id', treatment: 'keep' },
          { name: 'name', treatment: 'keep' },
          { name: 'email', treatment: 'partial' },
        ],
      });
      // what it reads from another table is listed for the engine to rebuild, masked columns included
      const copying = await authorize('INSERT INTO ai_log (id, name) SELECT id, ssn FROM hr.people', 'execute', { byConstruction: true });
      expect(copying.protection?.target).toEqual({ schema: 'public', name: 'ai_log', columns: undefined });
      expect(copying.protection?.relations.map((r) => `${r.schema}.${r.name}`)).toEqual(['hr.people']);
      // a denied table stays invisible, and a role without rules needs no rebuilding
      expect(await refusal(authorize('INSERT INTO ai_log (id) SELECT id FROM hr.salaries', 'execute', { byConstruction: true }))).toBe('TABLE_NOT_FOUND');
      expect((await authorize("UPDATE customers SET email = 'x' WHERE id = 1", 'execute', { role: writer, byConstruction: true })).protection).toBeUndefined();
    });

    it('a schema change may not read a table with protected columns, even its allowed columns or renamed', async () => {
      for (const sql of [
        'CREATE VIEW ai_v AS SELECT name FROM hr.people',
        'CREATE TABLE ai_c AS SELECT c FROM hr.people AS p(a, b, c)',
        'CREATE MATERIALIZED VIEW ai_m AS SELECT x FROM (SELECT email AS x FROM customers) s',
      ]) {
        expect(await refusal(authorize(sql, 'change_schema')), sql).toBe('DENIED_BY_POLICY');
      }
      expect((await authorize('CREATE VIEW ai_v AS SELECT name FROM hr.people', 'change_schema', { role: writer })).target).toEqual({ schema: 'public', name: 'ai_v' });
    });

    it('an unqualified DML target resolves through the search path; system catalogs are refused', async () => {
      expect((await authorize("UPDATE ai_t SET name = 'x' WHERE id = 1", 'execute')).target).toEqual({ schema: 'public', name: 'ai_t' });
      expect((await authorize('DELETE FROM ai_s WHERE a = 1', 'execute', { searchPath: 'scratch, public' })).target).toEqual({ schema: 'scratch', name: 'ai_s' });
      // DML is not limited to writes.schemas, only by the role's tables
      expect((await authorize('DELETE FROM other_schema.ai_x WHERE a = 1', 'execute')).target.schema).toBe('other_schema');
      expect(await refusal(authorize("DELETE FROM pg_class WHERE relname = 'ai_t'", 'execute', { role: writer }))).toBe('WRITE_NOT_ALLOWED');
      expect(await refusal(authorize("UPDATE pg_namespace SET nspname = 'x' WHERE nspname = 'hr'", 'execute', { role: writer }))).toBe('WRITE_NOT_ALLOWED');
    });

    it('an index: its table must resolve into an allowed schema; the index lands in that schema', async () => {
      const created = await authorize('CREATE INDEX ai_t_lower ON ai_t (lower(name))', 'change_schema');
      expect(created).toMatchObject({ target: { schema: 'public', name: 'ai_t_lower' }, table: { schema: 'public', name: 'ai_t' }, describe: { type: 'index' } });
      expect(await refusal(authorize('CREATE INDEX ai_x_a ON other_schema.ai_x (a)', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      expect(await refusal(authorize('CREATE INDEX ai_x_a ON ai_x (a)', 'change_schema', { searchPath: 'other_schema, public' }))).toBe('WRITE_NOT_ALLOWED');
      expect(await refusal(authorize('CREATE INDEX ai_s_a ON ai_s (a)', 'change_schema'))).toBe('TABLE_NOT_FOUND');
      // an existing index is found through the search path like a table
      expect((await authorize('DROP INDEX ai_t_name', 'change_schema')).target).toEqual({ schema: 'public', name: 'ai_t_name' });
    });

    it('foreign keys, renames and SET SCHEMA stay inside writes.schemas', async () => {
      expect(await refusal(authorize('ALTER TABLE ai_t ADD FOREIGN KEY (id) REFERENCES other_schema.ai_x (a)', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      expect(await refusal(authorize('ALTER TABLE ai_t ADD FOREIGN KEY (id) REFERENCES ai_missing (a)', 'change_schema'))).toBe('TABLE_NOT_FOUND');
      expect((await authorize('ALTER TABLE ai_log ADD FOREIGN KEY (id) REFERENCES ai_t (id)', 'change_schema')).target).toEqual({ schema: 'public', name: 'ai_log' });
      // a table referencing itself, before it exists
      expect((await authorize('CREATE TABLE ai_tree (id int PRIMARY KEY, parent int REFERENCES ai_tree (id))', 'change_schema')).target).toEqual({ schema: 'public', name: 'ai_tree' });
      expect(await refusal(authorize('CREATE TABLE ai_tree (id int PRIMARY KEY, x int REFERENCES other_schema.ai_tree (id))', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      expect((await authorize('ALTER TABLE ai_t RENAME TO ai_t2', 'change_schema')).describe).toEqual({ schema: 'public', name: 'ai_t2', type: 'table' });
      expect(await refusal(authorize('ALTER TABLE ai_t SET SCHEMA other_schema', 'change_schema'))).toBe('WRITE_NOT_ALLOWED');
      const moved = await authorize('ALTER TABLE ai_t SET SCHEMA scratch', 'change_schema', { writes: PUBLIC_AND_SCRATCH });
      expect(moved.describe).toEqual({ schema: 'scratch', name: 'ai_t', type: 'table' });
      expect((await authorize('DROP TABLE ai_t', 'change_schema')).describe).toBeUndefined();
    });

    it('a change to an owned object that does not exist is TABLE_NOT_FOUND', async () => {
      expect(await refusal(authorize('DROP TABLE IF EXISTS ai_gone', 'change_schema'))).toBe('TABLE_NOT_FOUND');
      expect(await refusal(authorize("COMMENT ON TABLE ai_gone IS 'x'", 'change_schema'))).toBe('TABLE_NOT_FOUND');
    });

    it('the preview statement runs on the engine and shows the changed rows, a trailing comment notwithstanding', async () => {
      await exec("INSERT INTO public.ai_log (id, name) VALUES (1, 'before')");
      await exec("INSERT INTO public.ai_t (id, name) VALUES (1, 'joined')");
      try {
        for (const sql of ["UPDATE ai_log SET name = 'after' WHERE id = 1 -- rename it", "UPDATE ai_log AS l SET name = 'after' FROM ai_t WHERE l.id = ai_t.id;"]) {
          const checked = policy.checkWriteStatement(sql, 'execute', { prefix: 'ai_', allowUnbounded: false });
          if (checked.tool !== 'execute') throw new Error('expected DML');
          await exec('BEGIN');
          try {
            const rows = await exec(checked.sampleSql ?? checked.sql);
            // only the target's columns (id, name, note), with the new value
            expect(rows, sql).toEqual([[1, 'after', null]]);
          } finally {
            await exec('ROLLBACK');
          }
        }
        expect(await exec('SELECT name FROM public.ai_log WHERE id = 1')).toEqual([['before']]);
      } finally {
        await exec('DELETE FROM public.ai_log WHERE id = 1');
        await exec('DELETE FROM public.ai_t WHERE id = 1');
      }
    });

    it('the catalog sees an object created a moment ago once invalidated', async () => {
      const catalog = catalogOver(exec, 'public');
      expect(await catalog.resolve('ai_fresh')).toBeUndefined();
      await exec('CREATE TABLE public.ai_fresh (a int)');
      try {
        expect(await catalog.locate('ai_fresh')).toBe('public');
        catalog.invalidate();
        expect(await catalog.resolve('ai_fresh')).toBe('public');
        expect(await catalog.creationSchema()).toBe('public');
      } finally {
        await exec('DROP TABLE public.ai_fresh');
      }
    });
  });
}

writeAuthorizationSuite('write authorization on PGlite', async () => {
  const db = await PGlite.create();
  return {
    exec: async (sql, params) => (await db.query<unknown[]>(sql, params, { rowMode: 'array' })).rows,
    close: () => db.close(),
  };
});

describe.skipIf(!postgres.ok)('write authorization on PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  writeAuthorizationSuite('write authorization on PostgreSQL', async () => ({
    exec: async (sql, params) => (await client.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows,
    close: async () => undefined,
  }));
});
