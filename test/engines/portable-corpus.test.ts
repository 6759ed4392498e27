/**
 * The portable benign corpus passes on every engine: each statement goes through
 * the engine's guard, the authorize stage and its source, exactly as the query tool
 * sends it, and must come back with the same answer everywhere. The reference
 * answer is SQLite's own, read with better-sqlite3 straight from the seeded file
 * (no Bastion in between); cases that record rows or a result are also checked
 * against those, which hold on every engine.
 *
 * Each engine gets the schema and data in a fresh place and is opened once through
 * SourceRegistry, as the server opens it: SQLite a temporary file, PGlite a
 * temporary data directory, PostgreSQL and MariaDB a database of their own (those
 * two suites skip when their server is down, unless BASTION_REQUIRE_PG or
 * BASTION_REQUIRE_MARIADB is 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_ROLES, compileRole } from '../../src/authorize/roles.js';
import { authorizeRead } from '../../src/authorize/statement.js';
import { sourceSchema } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import { engineOpener } from '../../src/engines/index.js';
import type { CheckedStatement } from '../../src/engine/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { SourceRegistry, type SourceEntry } from '../../src/engine/registry.js';
import { portable, portableInserts, portableSchema, toDollarParams, type GuardFamily, type PortableCase } from '../corpus/portable.js';
import { createMysqlDatabase, mariadb } from '../helpers/mariadb.js';
import { createTestDatabase, postgres } from '../helpers/postgres.js';

const log = createLogger('silent');
const reader = compileRole('reader', BUILT_IN_ROLES['reader']!);
const SETUP = [...portableSchema, ...portableInserts()];
const dir = mkdtempSync(join(tmpdir(), 'bastion-portable-'));
const sqlitePath = join(dir, 'shop.db');

type Rows = readonly (readonly unknown[])[];
type Answer = { ok: true; columns: number; rows: Rows } | { ok: false; error: string };

/** Seeds the SQLite file and reads every case's answer from it directly: the reference. */
function seedSqliteAndAnswer(path: string): Map<string, Answer> {
  const db = new Database(path);
  try {
    db.exec(SETUP.join(';\n'));
    const answers = new Map<string, Answer>();
    for (const c of portable) {
      try {
        const statement = db.prepare(c.sql).raw();
        answers.set(c.name, { ok: true, columns: statement.columns().length, rows: statement.all(...(c.params ?? [])) as unknown[][] });
      } catch (error) {
        answers.set(c.name, { ok: false, error: (error as Error).message });
      }
    }
    return answers;
  } finally {
    db.close();
  }
}

const reference = seedSqliteAndAnswer(sqlitePath);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** DECIMAL arrives as text on some drivers and BIGINT as bigint on others: numbers compare as numbers. */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return normalize(Number(value));
  if (typeof value === 'number') return Math.round(value * 1e6) / 1e6 + 0; // + 0 turns -0 into 0
  return value;
}

function comparable(rows: Rows, unordered: boolean | undefined): unknown[][] {
  const normalized = rows.map((row) => row.map(normalize));
  if (!unordered) return normalized;
  return normalized.map((row) => ({ row, key: JSON.stringify(row) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => r.row);
}

interface Prepared {
  /** A source config as bastion.yaml would give it (parsed by the config schema). */
  config: Record<string, unknown>;
  cleanup: () => Promise<void>;
}

interface EngineUnderTest {
  label: string;
  run: boolean;
  guard: GuardFamily;
  /** Creates the schema and seed data in a fresh place. */
  prepare(): Promise<Prepared>;
}

const ENGINES: EngineUnderTest[] = [
  {
    label: 'SQLite',
    run: true,
    guard: 'sqlite',
    // Seeded above with better-sqlite3; the engine opens it read-only.
    prepare: async () => ({ config: { engine: 'sqlite', path: sqlitePath }, cleanup: async () => undefined }),
  },
  {
    label: 'PGlite',
    run: true,
    guard: 'postgres',
    async prepare() {
      const dataDir = join(dir, 'pglite');
      const db = await PGlite.create({ dataDir });
      try {
        await db.exec(SETUP.join(';\n'));
      } finally {
        await db.close();
      }
      return { config: { engine: 'pglite', path: dataDir }, cleanup: async () => undefined };
    },
  },
  {
    label: 'PostgreSQL',
    run: postgres.ok || process.env['BASTION_REQUIRE_PG'] === '1',
    guard: 'postgres',
    async prepare() {
      const db = await createTestDatabase({ seed: false });
      await db.admin(SETUP.join(';\n'));
      return { config: { engine: 'postgres', url: db.url, pool: { max: 2 } }, cleanup: () => db.drop() };
    },
  },
  {
    label: 'MySQL/MariaDB',
    // helpers/mariadb.ts throws on import when BASTION_REQUIRE_MARIADB=1 and the server is down.
    run: mariadb.ok,
    guard: 'mysql',
    async prepare() {
      const db = await createMysqlDatabase();
      await db.admin(SETUP.join(';\n'));
      return { config: { engine: 'mysql', url: db.url, pool: { max: 2, connect_timeout_ms: 5000 } }, cleanup: () => db.drop() };
    },
  },
];

describe('the portable corpus', () => {
  it('has 40+ uniquely named cases, each with as many parameters as placeholders', () => {
    expect(portable.length).toBeGreaterThanOrEqual(40);
    expect(new Set(portable.map((c) => c.name)).size).toBe(portable.length);
    for (const c of portable) expect(c.sql.split('?').length - 1, c.name).toBe(c.params?.length ?? 0);
  });

  it('toDollarParams numbers placeholders and leaves literals and comments alone', () => {
    expect(toDollarParams("SELECT a FROM t WHERE b = ? AND c IN (?, ?) AND d = 'it''s ?' -- ?\n AND e > ? /* ? */")).toBe(
      "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) AND d = 'it''s ?' -- ?\n AND e > $4 /* ? */",
    );
  });

  it.each(portable.map((c) => [c.name, c] as const))('SQLite itself answers as the case records: %s', (_name, c) => {
    const answer = reference.get(c.name);
    if (answer === undefined || !answer.ok) throw new Error(`better-sqlite3 failed: ${answer?.error ?? 'no answer'}`);
    if (c.rows !== undefined) expect(answer.rows).toHaveLength(c.rows);
    if (c.result !== undefined) expect(comparable(answer.rows, c.unordered)).toEqual(comparable(c.result, c.unordered));
  });
});

for (const engine of ENGINES) {
  describe.skipIf(!engine.run)(`${engine.label}: every portable statement passes the guard and answers like SQLite`, () => {
    let registry: SourceRegistry | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    let entry: SourceEntry;

    beforeAll(async () => {
      const prepared = await engine.prepare();
      cleanup = prepared.cleanup;
      // As src/app.ts builds them: one policy for the PostgreSQL family, the registry for the parts.
      registry = await SourceRegistry.create({ corpus: sourceSchema.parse(prepared.config) }, log, engineOpener({ allow_functions: [] }));
      entry = registry.resolve('corpus');
    });
    afterAll(async () => {
      await registry?.close();
      await cleanup?.();
    });

    /** The guard's verdict, with its code in the message when it refuses: the case names the SQL. */
    function check(sql: string): CheckedStatement {
      try {
        return entry.guard.checkRead(sql, 'query');
      } catch (error) {
        if (error instanceof BastionError) throw new Error(`${engine.label} guard refused benign SQL: ${error.code}: ${error.message}`);
        throw error;
      }
    }

    const titled = (c: PortableCase): string => (c.guardGaps?.[engine.guard] === undefined ? c.name : `${c.name} [known guard gap: still refused]`);

    it.each(portable.map((c) => [titled(c), c] as const))('%s', async (_name, c: PortableCase) => {
      const sql = engine.guard === 'postgres' ? toDollarParams(c.sql) : c.sql;
      if (c.guardGaps?.[engine.guard] !== undefined) {
        // A benign statement this guard wrongly refuses today (the case says how). Once the
        // guard accepts it, this fails: remove the marker and the statement runs like the rest.
        expect(() => entry.guard.checkRead(sql, 'query'), `the guard now accepts it: remove guardGaps.${engine.guard} from "${c.name}"`).toThrow(BastionError);
        return;
      }
      const params = c.params ?? [];
      const checked = check(sql);
      expect(checked.paramCount).toBe(params.length);
      await authorizeRead(reader, checked, entry.catalog);
      const result = await entry.source.read({ sql: checked.sql, params, maxRows: 1000, maxBytes: 1 << 20 });
      expect(result.truncated).toBe(false);

      const expected = reference.get(c.name);
      if (expected === undefined || !expected.ok) throw new Error(`no reference answer: ${expected?.error ?? 'missing'}`);
      expect(result.columns).toHaveLength(expected.columns);
      const rows = comparable(result.rows, c.unordered);
      if (c.rows !== undefined) expect(rows).toHaveLength(c.rows);
      if (c.result !== undefined) expect(rows).toEqual(comparable(c.result, c.unordered));
      expect(rows).toEqual(comparable(expected.rows, c.unordered));
    });
  });
}
