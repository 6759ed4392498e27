/**
 * Governed writes, judged by their effect on the database. Each engine runs the
 * same cases straight against its source (the write policy is another stage):
 * a dry run changes nothing, a real run commits, a change over the row cap and a
 * failing statement leave nothing behind, a runaway statement is cancelled, DDL
 * leaves no stale plan for later reads, and the read path stays read-only.
 *
 * Effects are checked outside the write: on PostgreSQL with a separate admin
 * connection; on PGlite, which has one session, with a fresh READ ONLY read.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type PgliteSourceConfig, type PostgresSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import { createLogger } from '../../src/log/logger.js';
import { PgliteSource } from '../../src/engines/pglite/source.js';
import { PostgresSource } from '../../src/engines/postgres/source.js';
import type { CheckedDml, StatementReads } from '../../src/engine/policy.js';
import type { ParamValue, Source, WriteRequest, WriteResult } from '../../src/engine/source.js';
import { createTestDatabase, PG_ADMIN_URL, postgres, type TestDatabase } from '../helpers/postgres.js';

const log = createLogger('silent');

type Row = Record<string, unknown>;

interface Engine {
  source: Source;
  /** Reads outside the write under test. */
  check(sql: string, params?: ParamValue[]): Promise<Row[]>;
  /** Sets up fixtures outside the source under test where the engine allows it. */
  setup(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

function write(source: Source, request: Partial<WriteRequest> & Pick<WriteRequest, 'kind' | 'sql'>): Promise<WriteResult> {
  if (source.write === undefined) throw new Error('this source cannot write');
  return source.write({ params: [], dryRun: true, maxAffectedRows: 1000, maxBytes: 1 << 20, ...request });
}

/** The write policy's verdict on a MERGE, as the tool hands it over: its sample (RETURNING) needs PostgreSQL 17. */
function checkedMerge(sql: string): CheckedDml {
  const reads: StatementReads = { relations: [], functions: [], columnRefs: [], directColumnRefs: new Set(), hasSetOperation: false, usingColumns: [], hasNaturalJoin: false, paramCount: 0 };
  return { sql, tool: 'execute', command: 'merge', target: { schema: 'public', name: 'ai_notes' }, reads, paramCount: 0, hasReturning: false, sampleSql: `${sql} RETURNING *`, sampleNeedsPg17: true };
}

async function failure(promise: Promise<unknown>): Promise<BastionError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BastionError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const NOTES = 'public.ai_notes';
const NOTES_STATE = `SELECT (SELECT count(*)::int FROM ${NOTES}) AS n,
  (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM ${NOTES} t) AS checksum`;
const SEQUENCE_STATE = 'SELECT last_value::int AS last_value, is_called FROM public.ai_notes_id_seq';
const ORDERS_STATE = `SELECT count(*)::int AS n, md5(string_agg(o::text, ',' ORDER BY id)) AS checksum FROM shop.orders o`;
const CUSTOMERS_STATE = `SELECT count(*)::int AS n, md5(string_agg(c::text, ',' ORDER BY id)) AS checksum FROM shop.customers c`;
const RUNAWAY = 'UPDATE public.ai_notes SET n = (SELECT count(*) FROM generate_series(1, 10000000000))::int';

function writeSuite(label: string, open: () => Promise<Engine>): void {
  describe(label, () => {
    let engine: Engine;
    let source: Source;
    const state = async (sql: string): Promise<Row> => (await engine.check(sql))[0] ?? {};

    beforeAll(async () => {
      engine = await open();
      source = engine.source;
      await engine.setup(`CREATE TABLE ${NOTES} (id serial PRIMARY KEY, body text NOT NULL UNIQUE, n integer NOT NULL DEFAULT 0)`);
      await engine.setup(`INSERT INTO ${NOTES} (body) VALUES ('one'), ('two'), ('three')`);
    });
    afterAll(async () => engine.cleanup());

    it('a DML dry run changes no row, reports the count and shows the rows as they would be', async () => {
      const before = await state(NOTES_STATE);
      const sequenceBefore = await state(SEQUENCE_STATE);
      const insert = `INSERT INTO ${NOTES} (body) VALUES ($1), ($2)`;
      const result = await write(source, { kind: 'dml', sql: insert, sampleSql: `${insert} RETURNING *`, params: ['four', 'five'] });
      expect(result.committed).toBe(false);
      expect(result.affected).toBe(2);
      expect(result.sample?.columns.map((c) => c.name)).toEqual(['id', 'body', 'n']);
      expect(result.sample?.rows.map((r) => r.slice(1))).toEqual([
        ['four', 0],
        ['five', 0],
      ]);
      expect(await state(NOTES_STATE)).toEqual(before);
      // Sequences are not transactional: the rolled-back INSERT drew two values and
      // they stay drawn (measured here, not hidden). The rows themselves are gone.
      const sequenceAfter = await state(SEQUENCE_STATE);
      expect(sequenceAfter['last_value']).toBe(Number(sequenceBefore['last_value']) + 2);
    });

    it('a dry run over more rows than one fetch counts every row but keeps only the sample', async () => {
      const before = await state(ORDERS_STATE);
      const update = "UPDATE shop.orders SET status = 'refunded' WHERE status <> 'refunded'";
      const result = await write(source, { kind: 'dml', sql: update, sampleSql: `${update} RETURNING *`, sampleRows: 5, maxAffectedRows: 10_000 });
      const [expected] = await engine.check("SELECT count(*)::int AS n FROM shop.orders WHERE status <> 'refunded'");
      expect(expected?.['n']).toBeGreaterThan(1000);
      expect(result.affected).toBe(expected?.['n']);
      expect(result.sample?.rows).toHaveLength(5);
      expect(result.sample?.truncated).toBe(true);
      const status = result.sample?.columns.findIndex((c) => c.name === 'status') ?? -1;
      expect(result.sample?.rows.every((r) => r[status] === 'refunded')).toBe(true);
      expect(await state(ORDERS_STATE)).toEqual(before);
    });

    it('a real run commits and reports the affected rows and its RETURNING rows', async () => {
      const result = await write(source, { kind: 'dml', sql: `INSERT INTO ${NOTES} (body, n) VALUES ($1, $2) RETURNING body, n`, params: ['real', 7], dryRun: false });
      expect(result).toMatchObject({ committed: true, affected: 1 });
      expect(result.sample?.rows).toEqual([['real', 7]]);
      expect(await engine.check(`SELECT n FROM ${NOTES} WHERE body = $1`, ['real'])).toEqual([{ n: 7 }]);
      const update = await write(source, { kind: 'dml', sql: `UPDATE ${NOTES} SET n = n + 1 WHERE body IN ('one', 'two')`, dryRun: false });
      expect(update).toMatchObject({ committed: true, affected: 2 });
      expect(update.sample).toBeUndefined();
      expect(await engine.check(`SELECT body, n FROM ${NOTES} WHERE body IN ('one', 'two') ORDER BY id`)).toEqual([
        { body: 'one', n: 1 },
        { body: 'two', n: 1 },
      ]);
    });

    it('an UPDATE over the row cap is rolled back entirely and says so', async () => {
      const before = await state(CUSTOMERS_STATE);
      const error = await failure(write(source, { kind: 'dml', sql: "UPDATE shop.customers SET country = 'XX'", dryRun: false, maxAffectedRows: 100 }));
      expect(error.code).toBe('WRITE_LIMIT_EXCEEDED');
      expect(error.message).toContain('500');
      expect(error.message).toContain('100');
      expect(await state(CUSTOMERS_STATE)).toEqual(before);
      expect(await engine.check("SELECT count(*)::int AS n FROM shop.customers WHERE country = 'XX'")).toEqual([{ n: 0 }]);
    });

    it('a DDL dry run returns the definition and leaves the catalog unchanged', async () => {
      const table = await write(source, {
        kind: 'ddl',
        sql: "CREATE TABLE public.ai_t (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'x', score numeric(5,2) CHECK (score >= 0))",
        describe: { schema: 'public', name: 'ai_t', type: 'table' },
      });
      expect(table.committed).toBe(false);
      expect(table.affected).toBe(0);
      expect(table.definition).toContain('CREATE TABLE public.ai_t (');
      expect(table.definition).toContain('id integer NOT NULL');
      expect(table.definition).toContain("name text DEFAULT 'x'::text NOT NULL");
      expect(table.definition).toContain('score numeric(5,2)');
      expect(table.definition).toContain('PRIMARY KEY (id)');
      expect(table.definition).toContain('CHECK (score >= 0');

      const view = await write(source, {
        kind: 'ddl',
        sql: "CREATE VIEW public.ai_v AS SELECT id, name FROM shop.customers WHERE country = 'DE'",
        describe: { schema: 'public', name: 'ai_v', type: 'view' },
      });
      expect(view.definition).toContain('CREATE VIEW public.ai_v AS');
      expect(view.definition).toContain('FROM shop.customers');
      expect(view.definition).toContain('-- columns: id integer, name text');

      expect(await engine.check("SELECT to_regclass('public.ai_t') IS NULL AS t_gone, to_regclass('public.ai_v') IS NULL AS v_gone")).toEqual([
        { t_gone: true, v_gone: true },
      ]);
    });

    it('a DDL real run creates the object and describes it', async () => {
      const view = await write(source, {
        kind: 'ddl',
        sql: "CREATE VIEW public.ai_v AS SELECT id, name FROM shop.customers WHERE country = 'DE'",
        describe: { schema: 'public', name: 'ai_v', type: 'view' },
        dryRun: false,
      });
      expect(view.committed).toBe(true);
      expect(view.definition).toContain('CREATE VIEW public.ai_v AS');
      const index = await write(source, {
        kind: 'ddl',
        sql: `CREATE INDEX ai_notes_n_idx ON ${NOTES} (n)`,
        describe: { schema: 'public', name: 'ai_notes_n_idx', type: 'index' },
        dryRun: false,
      });
      expect(index.definition).toBe('CREATE INDEX ai_notes_n_idx ON public.ai_notes USING btree (n);');
      expect(await engine.check("SELECT to_regclass('public.ai_v') IS NOT NULL AS v, to_regclass('public.ai_notes_n_idx') IS NOT NULL AS i")).toEqual([
        { v: true, i: true },
      ]);
      const [german] = await engine.check("SELECT count(*)::int AS n FROM shop.customers WHERE country = 'DE'");
      expect(await engine.check('SELECT count(*)::int AS n FROM public.ai_v')).toEqual([german]);
    });

    it('a failing statement leaves nothing behind, and the next call on the source works', async () => {
      const before = await state(NOTES_STATE);
      // The first row is new, the second breaks the unique constraint: neither stays.
      const error = await failure(
        write(source, { kind: 'dml', sql: `INSERT INTO ${NOTES} (body) VALUES ($1), ($2)`, params: ['brand-new', 'one'], dryRun: false }),
      );
      expect(error.code).toBe('QUERY_FAILED');
      expect(await state(NOTES_STATE)).toEqual(before);
      const read = await source.read({ sql: `SELECT count(*)::int FROM ${NOTES}`, params: [], maxRows: 1, maxBytes: 1024 });
      expect(read.rows).toEqual([[before['n']]]);
      const next = await write(source, { kind: 'dml', sql: `UPDATE ${NOTES} SET n = n WHERE body = 'one'` });
      expect(next.affected).toBe(1);
    });

    it('a second statement smuggled after the first is refused by the protocol and nothing runs', async () => {
      const before = await state(NOTES_STATE);
      const error = await failure(
        write(source, { kind: 'dml', sql: `DELETE FROM ${NOTES} WHERE body = 'one'; DROP TABLE ${NOTES}`, dryRun: false }),
      );
      expect(error.code).toBe('QUERY_FAILED');
      expect(await state(NOTES_STATE)).toEqual(before);
    });

    it('after a real ALTER TABLE, reads of the table return the new column (no stale cached plan)', async () => {
      const sql = `SELECT * FROM ${NOTES} ORDER BY id`;
      const before = await source.read({ sql, params: [], maxRows: 100, maxBytes: 1 << 20 });
      expect(before.columns.map((c) => c.name)).toEqual(['id', 'body', 'n']);
      await write(source, { kind: 'ddl', sql: `ALTER TABLE ${NOTES} ADD COLUMN extra text NOT NULL DEFAULT 'e'`, dryRun: false });
      for (let i = 0; i < 3; i++) {
        const after = await source.read({ sql, params: [], maxRows: 100, maxBytes: 1 << 20 });
        expect(after.columns.map((c) => c.name)).toEqual(['id', 'body', 'n', 'extra']);
        expect(after.rows.every((r) => r[3] === 'e')).toBe(true);
      }
    });

    it('MERGE ... RETURNING samples only where the server supports it, and counts either way', async () => {
      const [version] = await engine.check("SELECT current_setting('server_version_num')::int AS v");
      const merge = `MERGE INTO ${NOTES} t USING (VALUES ('one'), ('zz')) AS s(body) ON t.body = s.body
        WHEN MATCHED THEN UPDATE SET n = t.n + 10 WHEN NOT MATCHED THEN INSERT (body) VALUES (s.body)`;
      const before = await state(NOTES_STATE);
      const result = await write(source, { kind: 'dml', sql: merge, sampleSql: `${merge} RETURNING *`, checked: checkedMerge(merge) });
      expect(result.affected).toBe(2);
      if (Number(version?.['v']) >= 170000) expect(result.sample?.rows).toHaveLength(2);
      else expect(result.sample).toBeUndefined();
      expect(await state(NOTES_STATE)).toEqual(before);
    });

    it('the read path stays read-only after writes, even with the policy bypassed', async () => {
      const before = await state(NOTES_STATE);
      const insert = await failure(source.read({ sql: `INSERT INTO ${NOTES} (body) VALUES ('via-read')`, params: [], maxRows: 1, maxBytes: 1024 }));
      expect(insert.code).toBe('SQL_NOT_READ_ONLY');
      const ddl = await failure(source.read({ sql: 'CREATE TABLE public.ai_sneaky (id int)', params: [], maxRows: 1, maxBytes: 1024 }));
      expect(ddl.code).toBe('SQL_NOT_READ_ONLY');
      expect(await state(NOTES_STATE)).toEqual(before);
      expect(await engine.check("SELECT to_regclass('public.ai_sneaky') IS NULL AS gone")).toEqual([{ gone: true }]);
      const settings = await source.read({ sql: "SELECT current_setting('transaction_read_only')", params: [], maxRows: 1, maxBytes: 1024 });
      expect(settings.rows).toEqual([['on']]);
    });

    it('a runaway write is cancelled with QUERY_TIMEOUT, changes nothing, and the next call works', async () => {
      const before = await state(CUSTOMERS_STATE);
      const error = await failure(write(source, { kind: 'dml', sql: RUNAWAY, dryRun: false }));
      expect(error.code).toBe('QUERY_TIMEOUT');
      // On PGlite the timeout restarts the engine from its initial data, so only the demo tables are compared.
      expect(await state(CUSTOMERS_STATE)).toEqual(before);
      const next = await write(source, { kind: 'dml', sql: "UPDATE shop.customers SET country = 'XX' WHERE id = 1" });
      expect(next).toMatchObject({ affected: 1, committed: false });
    });
  });
}

writeSuite('PGlite (embedded demo): governed writes by effect', async () => {
  const config = sourceSchema.parse({ engine: 'pglite', statement_timeout_ms: 3000, writes: { enabled: true } }) as PgliteSourceConfig;
  const source = new PgliteSource('demo', config, log);
  const check = async (sql: string, params: ParamValue[] = []): Promise<Row[]> => {
    const result = await source.read({ sql, params, maxRows: 1000, maxBytes: 1 << 20 });
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
  };
  return {
    source,
    check,
    // One session only: fixtures go in through real writes of the source itself.
    setup: async (sql) => {
      await source.write({ kind: 'ddl', sql, params: [], dryRun: false, maxAffectedRows: 1000, maxBytes: 1024 });
    },
    cleanup: () => source.close(),
  };
});

describe.skipIf(!postgres.ok)('PostgreSQL', () => {
  let db: TestDatabase;
  const role = `bastion_t_writer_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.admin(`DROP OWNED BY ${role}`).catch(() => undefined);
    await db.drop();
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.end();
  });

  function postgresSource(options: Record<string, unknown> = {}): PostgresSource {
    const config = sourceSchema.parse({
      engine: 'postgres',
      url: db.url,
      statement_timeout_ms: 1500,
      // One connection: every read after a write runs on the connection the write used.
      pool: { max: 1 },
      writes: { enabled: true },
      ...options,
    }) as PostgresSourceConfig;
    return new PostgresSource('main', config, log);
  }

  writeSuite('governed writes by effect', async () => {
    const source = postgresSource();
    return {
      source,
      check: async (sql, params) => (await db.admin(sql, params)).rows as Row[],
      setup: async (sql) => {
        await db.admin(sql);
      },
      cleanup: () => source.close(),
    };
  });

  it('a write runs as the configured role: a write it may not make is denied and changes nothing', async () => {
    await db.admin(`CREATE ROLE ${role} NOLOGIN`);
    await db.admin(`GRANT USAGE ON SCHEMA shop TO ${role}`);
    await db.admin(`GRANT SELECT ON ALL TABLES IN SCHEMA shop TO ${role}`);
    await db.admin(`GRANT UPDATE (stock) ON shop.products TO ${role}`);
    const source = postgresSource({ role });
    try {
      const before = (await db.admin(CUSTOMERS_STATE)).rows[0];
      const denied = await failure(write(source, { kind: 'dml', sql: "UPDATE shop.customers SET country = 'XX' WHERE id = 1", dryRun: false }));
      expect(denied.code).toBe('DENIED_BY_POLICY');
      expect((await db.admin(CUSTOMERS_STATE)).rows[0]).toEqual(before);
      const allowed = await write(source, { kind: 'dml', sql: 'UPDATE shop.products SET stock = stock + 1 WHERE id = 1', dryRun: false });
      expect(allowed).toMatchObject({ affected: 1, committed: true });
    } finally {
      await source.close();
    }
  });

  it('a source without writes enabled refuses every write and changes nothing', async () => {
    const source = postgresSource({ writes: { enabled: false } });
    try {
      const before = (await db.admin(CUSTOMERS_STATE)).rows[0];
      const error = await failure(write(source, { kind: 'dml', sql: "UPDATE shop.customers SET country = 'XX'", dryRun: false }));
      expect(error.code).toBe('DENIED_BY_POLICY');
      expect((await db.admin(CUSTOMERS_STATE)).rows[0]).toEqual(before);
    } finally {
      await source.close();
    }
  });

  it('a COMMIT the database refuses (deferred constraint) is an error and nothing is committed', async () => {
    await db.admin('CREATE TABLE public.ai_parent (id int PRIMARY KEY)');
    await db.admin('CREATE TABLE public.ai_child (id int PRIMARY KEY, parent int REFERENCES public.ai_parent DEFERRABLE INITIALLY DEFERRED)');
    const source = postgresSource();
    try {
      const error = await failure(write(source, { kind: 'dml', sql: 'INSERT INTO public.ai_child VALUES (1, 42)', dryRun: false }));
      expect(error.code).toBe('QUERY_FAILED');
      expect((await db.admin('SELECT count(*)::int AS n FROM public.ai_child')).rows).toEqual([{ n: 0 }]);
      const next = await write(source, { kind: 'dml', sql: 'INSERT INTO public.ai_parent VALUES (42)', dryRun: false });
      expect(next.committed).toBe(true);
    } finally {
      await source.close();
    }
  });
});
