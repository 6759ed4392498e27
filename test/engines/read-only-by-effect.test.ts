/**
 * Attacks judged by their effect. Each engine is attacked twice: through the MCP
 * tools (the SQL policy must refuse every attack), and straight at the source with
 * the policy bypassed (the engine's READ ONLY transaction — plus, on PostgreSQL, a
 * low-privilege role — must hold on its own). Afterwards the tables still exist
 * with the same rows, no file was written, no setting changed, and the next call
 * still runs read-only.
 */
import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../src/errors/codes.js';
import type { Source } from '../../src/engine/source.js';
import { attacks } from '../corpus/attacks.js';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const POLICY_CODES = ['INVALID_ARGUMENT', 'SQL_PARSE_ERROR', 'SQL_MULTIPLE_STATEMENTS', 'SQL_NOT_READ_ONLY', 'SQL_FUNCTION_DENIED', 'SQL_FEATURE_DENIED', 'DENIED_BY_POLICY'];

const SNAPSHOT_SQL = `
SELECT (SELECT count(*) FROM shop.orders) AS orders,
       (SELECT sum(total)::text FROM shop.orders) AS orders_total,
       (SELECT count(*) FROM shop.customers) AS customers,
       (SELECT count(*) FROM shop.order_items) AS items,
       (SELECT count(*) FROM hr.employees) AS employees,
       (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')) AS relations,
       (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')) AS functions,
       (SELECT count(*) FROM pg_catalog.pg_largeobject_metadata) AS large_objects`;

const SETTINGS_SQL = `
SELECT current_setting('default_transaction_read_only') AS default_ro,
       current_setting('transaction_read_only') AS tx_ro,
       current_setting('search_path') AS search_path,
       current_setting('role') AS role`;

/** Host paths the corpus names, and whether each existed before (with its mtime). */
function hostFiles(): Map<string, number | undefined> {
  const paths = new Set<string>();
  for (const a of attacks) for (const m of a.sql.matchAll(/'(\/tmp\/[^']+)'/g)) if (m[1]) paths.add(m[1]);
  const out = new Map<string, number | undefined>();
  for (const p of paths) out.set(p, existsSync(p) ? statSync(p).mtimeMs : undefined);
  return out;
}

async function read(source: Source, sql: string): Promise<Record<string, unknown>> {
  const result = await source.read({ sql, params: [], maxRows: 10, maxBytes: 1 << 20 });
  const row = result.rows[0] ?? [];
  return Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]]));
}

async function attackEngineDirectly(source: Source): Promise<string[]> {
  const outcomes: string[] = [];
  for (const attack of attacks) {
    try {
      await source.read({ sql: attack.sql, params: (attack.params ?? []) as never[], maxRows: 10, maxBytes: 65536 });
      outcomes.push(`${attack.name}: ran`);
    } catch (error) {
      outcomes.push(`${attack.name}: ${error instanceof BastionError ? error.code : String(error)}`);
    }
  }
  return outcomes;
}

/** Short limits so the sleep attacks end quickly when the engine layer stands alone. */
const STATEMENT_TIMEOUT_MS = 1500;

function engineSuite(
  label: string,
  setup: () => Promise<{ bastion: TestBastion; engineOnly: Source; cleanup: () => Promise<void> }>,
  options: { engineLayerAlone: boolean },
): void {
  describe(label, () => {
    let bastion: TestBastion;
    let engineOnly: Source;
    let cleanup: () => Promise<void>;
    let baseline: Record<string, unknown>;
    let baselineSettings: Record<string, unknown>;
    let files: Map<string, number | undefined>;

    beforeAll(async () => {
      ({ bastion, engineOnly, cleanup } = await setup());
      baseline = await read(engineOnly, SNAPSHOT_SQL);
      baselineSettings = await read(engineOnly, SETTINGS_SQL);
      files = hostFiles();
    });
    afterAll(async () => {
      await cleanup();
    });

    it('every attack sent through the MCP tools is refused by the policy', async () => {
      const leaks: string[] = [];
      for (const attack of attacks) {
        const result = await bastion.call(attack.tool, { sql: attack.sql, ...(attack.params ? { params: attack.params } : {}) });
        const code = errorCode(result);
        if (code === undefined || !POLICY_CODES.includes(code)) leaks.push(`${attack.name} -> ${code ?? 'ALLOWED'}`);
      }
      expect(leaks).toEqual([]);
    });

    it('after the tool attacks, data, schema and settings are unchanged', async () => {
      expect(await read(engineOnly, SNAPSHOT_SQL)).toEqual(baseline);
      expect(await read(engineOnly, SETTINGS_SQL)).toEqual(baselineSettings);
    });

    it.runIf(options.engineLayerAlone)('with the policy bypassed, the engine layer alone still changes nothing', { timeout: 240_000 }, async () => {
      const outcomes = await attackEngineDirectly(engineOnly);
      expect(outcomes.length).toBe(attacks.length);
      expect(await read(engineOnly, SNAPSHOT_SQL)).toEqual(baseline);
      expect(await read(engineOnly, SETTINGS_SQL)).toEqual(baselineSettings);
    });

    it.runIf(options.engineLayerAlone)('a DO block cannot switch the transaction to read-write and write', async () => {
      await expect(
        engineOnly.read({
          sql: 'DO $$ BEGIN SET TRANSACTION READ WRITE; DELETE FROM shop.order_items; END $$',
          params: [],
          maxRows: 1,
          maxBytes: 1024,
        }),
      ).rejects.toBeInstanceOf(BastionError);
      expect(await read(engineOnly, SNAPSHOT_SQL)).toEqual(baseline);
    });

    it('no attack wrote a file on the host', () => {
      for (const [path, before] of files) {
        const now = existsSync(path) ? statSync(path).mtimeMs : undefined;
        expect(now, path).toBe(before);
      }
    });

    it('session poisoning through set_config does not make the next call writable', async () => {
      await engineOnly
        .read({ sql: "SELECT set_config('default_transaction_read_only', 'off', false), set_config('transaction_read_only', 'off', false)", params: [], maxRows: 1, maxBytes: 1024 })
        .catch(() => undefined);
      await expect(
        engineOnly.read({ sql: "INSERT INTO shop.customers VALUES (9999, 'x', 'x@example.com', 'XX', now())", params: [], maxRows: 1, maxBytes: 1024 }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/SQL_NOT_READ_ONLY|DENIED_BY_POLICY/) });
      expect(await read(engineOnly, SNAPSHOT_SQL)).toEqual(baseline);
      const settings = await read(engineOnly, SETTINGS_SQL);
      expect(settings['tx_ro']).toBe('on');
    });

    it('the tools still answer correctly after the attacks', async () => {
      const result = await bastion.call('query', { sql: 'SELECT count(*) AS n FROM shop.orders' });
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { rows: unknown[][] }).rows[0]?.[0]).toBe(Number(baseline['orders']));
    });
  });
}

engineSuite(
  'PGlite (embedded demo): attacks by effect',
  async () => {
    const bastion = await startBastion({ sources: { demo: { engine: 'pglite', statement_timeout_ms: STATEMENT_TIMEOUT_MS } } });
    return { bastion, engineOnly: bastion.ctx.sources.resolve('demo').source, cleanup: () => bastion.close() };
  },
  { engineLayerAlone: true },
);

describe.skipIf(!postgres.ok)('PostgreSQL 15', () => {
  let db: TestDatabase;
  const role = `bastion_t_reader_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.admin(`CREATE ROLE ${role} NOLOGIN`);
    await db.admin(`GRANT USAGE ON SCHEMA shop, hr TO ${role}`);
    await db.admin(`GRANT SELECT ON ALL TABLES IN SCHEMA shop, hr TO ${role}`);
  });
  afterAll(async () => {
    await db.admin(`DROP OWNED BY ${role}`).catch(() => undefined);
    await db.drop();
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: (await import('../helpers/postgres.js')).PG_ADMIN_URL });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.end();
  });

  // A superuser may read server files and signal other backends inside a READ ONLY
  // transaction, so with a superuser connection the policy is the layer that stops
  // those; the engine layer alone is tested with the low-privilege role below.
  engineSuite(
    'superuser connection: the policy refuses every attack',
    async () => {
      const bastion = await startBastion({
        sources: { main: { engine: 'postgres', url: db.url, statement_timeout_ms: STATEMENT_TIMEOUT_MS, pool: { max: 1 } } },
      });
      return { bastion, engineOnly: bastion.ctx.sources.resolve('main').source, cleanup: () => bastion.close() };
    },
    { engineLayerAlone: false },
  );

  engineSuite(
    'low-privilege role (SET LOCAL ROLE): policy refuses; READ ONLY and privileges hold alone',
    async () => {
      const bastion = await startBastion({
        sources: { main: { engine: 'postgres', url: db.url, role, statement_timeout_ms: STATEMENT_TIMEOUT_MS, pool: { max: 1 } } },
      });
      return { bastion, engineOnly: bastion.ctx.sources.resolve('main').source, cleanup: () => bastion.close() };
    },
    { engineLayerAlone: true },
  );
});
