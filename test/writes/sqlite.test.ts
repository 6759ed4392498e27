/**
 * Governed writes on SQLite, by effect on a real database file read back through a
 * separate better-sqlite3 connection.
 *
 * 1. The engine layer alone: SqliteSource.write with a plan the test controls, so
 *    the policy is bypassed and only the worker's own checks stand — SQLite must
 *    call the statement a write, sqlite_schema may change only where the plan says,
 *    a schema change changes no rows, the row cap counts cascades, a dry run is
 *    rolled back, a timeout commits nothing, and the read connection stays read-only.
 * 2. End to end through the MCP tools, with the real policy: dry runs, approvals,
 *    real runs, and attacks that leave the canary and the file system intact.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import type { StatementReads, CheckedDdl, CheckedDml } from '../../src/engine/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { OriginIds } from '../../src/engine/origin-ids.js';
import type { WriteRequest } from '../../src/engine/source.js';
import { SqliteSource } from '../../src/engines/sqlite/source.js';
import type { PlanSqliteWrite } from '../../src/engines/sqlite/write-plan.js';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const log = createLogger('silent');
const dir = mkdtempSync(join(tmpdir(), 'bastion-sqlite-writes-'));
const dbPath = join(dir, 'shop.db');
const CAPS = { maxRows: 1000, maxBytes: 1 << 20 };

function seed(path: string): void {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE canary (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
    CREATE TABLE secret (id INTEGER PRIMARY KEY, token TEXT NOT NULL);
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);
    CREATE TABLE gen (x INTEGER);
    CREATE TABLE ai_big (a INTEGER, b INTEGER, c INTEGER);
    CREATE TABLE ai_owned (id INTEGER PRIMARY KEY);
    CREATE TABLE keeper (id INTEGER PRIMARY KEY, owned_id INTEGER REFERENCES ai_owned(id) ON DELETE CASCADE);
    CREATE VIEW canary_view AS SELECT id, note FROM canary;
  `);
  const canary = db.prepare('INSERT INTO canary (id, note) VALUES (?, ?)');
  for (let i = 1; i <= 20; i++) canary.run(i, `row ${i}`);
  db.prepare("INSERT INTO secret (id, token) VALUES (1, 'tok_do_not_leak')").run();
  db.exec('INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (1, 1), (2, 1), (3, 1), (4, 2)');
  db.exec('WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000) INSERT INTO gen SELECT x FROM n');
  db.exec('INSERT INTO ai_owned VALUES (1), (2); INSERT INTO keeper VALUES (1, 1), (2, 2)');
  db.close();
}

/** Reads a database file through its own connection, outside Bastion. */
function probeOf(path: string) {
  const probe = <T = unknown[]>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).raw(true).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  return {
    probe,
    checksum: (table: string): string => createHash('sha256').update(JSON.stringify(probe(`SELECT * FROM ${table} ORDER BY 1`))).digest('hex'),
    schemaNames: (): string[] => probe<[string]>('SELECT name FROM sqlite_schema ORDER BY name').map((r) => r[0]),
  };
}

const { probe, checksum, schemaNames } = probeOf(dbPath);

function config(overrides: Partial<SqliteSourceConfig> = {}): SqliteSourceConfig {
  return { engine: 'sqlite', path: dbPath, writes: { enabled: true } as SqliteSourceConfig['writes'], statement_timeout_ms: 10_000, queue_timeout_ms: 5_000, worker_memory_mb: 1024, worker_heap_mb: 512, ...overrides };
}

const NO_READS: StatementReads = { relations: [], functions: [], columnRefs: [], directColumnRefs: new Set(), hasSetOperation: false, usingColumns: [], hasNaturalJoin: false, paramCount: 0 };

/** A plan that calls any statement an UPDATE of `canary`: what a policy bug would hand the engine. */
function dmlPlan(paramCount = 0): PlanSqliteWrite {
  return (sql) => {
    const checked: CheckedDml = {
      sql,
      tool: 'execute',
      command: 'update',
      target: { schema: undefined, name: 'canary' },
      reads: { ...NO_READS, paramCount },
      paramCount,
      hasReturning: false,
      sampleSql: `${sql}\nRETURNING *`,
      sampleNeedsPg17: false,
    };
    return { checked, touches: [] };
  };
}

/** A plan that calls any statement a CREATE TABLE allowed to touch `touches`. */
function ddlPlan(touches: string[]): PlanSqliteWrite {
  return (sql) => {
    const checked: CheckedDdl = {
      sql,
      tool: 'change_schema',
      kind: 'create_table',
      object: { schema: undefined, name: touches[0] ?? 'ai_x', type: 'table' },
      reads: NO_READS,
      references: [],
      paramCount: 0,
      sampleSql: undefined,
      sampleNeedsPg17: false,
    };
    return { checked, touches };
  };
}

function dml(sql: string, extra: Partial<WriteRequest> = {}): WriteRequest {
  return { kind: 'dml', sql, params: [], dryRun: false, maxAffectedRows: 1000, sampleRows: 20, maxBytes: 1 << 20, ...extra };
}

function ddl(sql: string, describe: string | undefined, extra: Partial<WriteRequest> = {}): WriteRequest {
  return {
    kind: 'ddl',
    sql,
    params: [],
    dryRun: false,
    maxAffectedRows: 1000,
    maxBytes: 1 << 20,
    ...(describe === undefined ? {} : { describe: { schema: 'main', name: describe, type: 'table' as const } }),
    ...extra,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof BastionError ? error.code : `non-bastion: ${String(error)}`;
  }
}

async function withSource<T>(plan: PlanSqliteWrite | undefined, run: (source: SqliteSource) => Promise<T>, overrides: Partial<SqliteSourceConfig> = {}): Promise<T> {
  const source = new SqliteSource('shop', config(overrides), log, new OriginIds(), plan);
  try {
    return await run(source);
  } finally {
    await source.close();
  }
}

beforeAll(() => {
  ensureWorkerBuilt();
  seed(dbPath);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite engine checks writes on its own (policy bypassed)', () => {
  it('refuses a CREATE TABLE handed over as an UPDATE, and the table does not exist afterwards', async () => {
    await withSource(dmlPlan(), async (source) => {
      const error = await source.write(dml('CREATE TABLE x (a)')).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'WRITE_NOT_ALLOWED' });
      expect((error as Error).message).toMatch(/changed the database schema.*rolled back and nothing changed/);
      // The dry run (RETURNING form cannot even prepare) changes nothing either.
      expect(await codeOf(source.write(dml('CREATE TABLE x (a)', { dryRun: true })))).toBeDefined();
    });
    expect(schemaNames()).not.toContain('x');
  });

  it('refuses a statement SQLite calls read-only, or one that ends the transaction', async () => {
    await withSource(dmlPlan(), async (source) => {
      for (const sql of ['SELECT * FROM secret', 'COMMIT', 'SAVEPOINT s', 'PRAGMA table_info(canary)']) {
        const error = await source.write(dml(sql)).catch((e: unknown) => e);
        expect(error, sql).toMatchObject({ code: 'WRITE_NOT_ALLOWED' });
        expect((error as Error).message, sql).not.toContain('tok_do_not_leak');
      }
      // The writable connection is still in a clean state: a plain write works.
      expect(await source.write(dml("UPDATE canary SET note = note WHERE id = 1"))).toMatchObject({ affected: 1, committed: true });
    });
  });

  it('rolls back a schema change whose plan does not name the object it creates', async () => {
    const before = schemaNames();
    await withSource(ddlPlan(['ai_declared']), async (source) => {
      for (const sql of ['CREATE TABLE ai_undeclared (a)', 'CREATE INDEX ai_declared_i ON canary (note)', 'DROP VIEW canary_view', 'ALTER TABLE canary ADD COLUMN extra TEXT']) {
        const error = await source.write(ddl(sql, 'ai_declared')).catch((e: unknown) => e);
        expect(error, sql).toMatchObject({ code: 'WRITE_NOT_ALLOWED' });
        expect((error as Error).message, sql).toMatch(/other than those it names.*rolled back and nothing changed/);
      }
    });
    expect(schemaNames()).toEqual(before);
    expect(probe<[string]>("SELECT name FROM pragma_table_info('canary')").map((r) => r[0])).toEqual(['id', 'note']);
  });

  it('refuses a DML statement handed over as a schema change: a schema change changes no rows', async () => {
    const before = checksum('canary');
    await withSource(ddlPlan(['canary']), async (source) => {
      expect(await codeOf(source.write(ddl('DELETE FROM canary WHERE id > 0', undefined)))).toBe('WRITE_NOT_ALLOWED');
    });
    expect(checksum('canary')).toBe(before);
  });

  it('refuses a DROP of an owned table whose foreign keys cascade into a table it does not own', async () => {
    const keeper = checksum('keeper');
    await withSource(ddlPlan(['ai_owned']), async (source) => {
      const error = await source.write(ddl('DROP TABLE ai_owned', undefined)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'WRITE_NOT_ALLOWED' });
      expect((error as Error).message).toMatch(/also changed rows/);
    });
    expect(schemaNames()).toContain('ai_owned');
    expect(checksum('keeper')).toBe(keeper);
  });

  it('refuses a schema change that would break a view or trigger it does not own; one already broken does not block', async () => {
    // SQLite records no dependencies, so these DROPs succeed in SQLite itself and
    // leave the other objects failing on their next use.
    const depPath = join(dir, 'dependents.db');
    const seedDb = new Database(depPath);
    seedDb.exec(`
      CREATE TABLE ai_src (a INTEGER, b INTEGER);
      CREATE VIEW report AS SELECT a, b FROM ai_src;
      CREATE TABLE ai_feed (a INTEGER);
      CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER);
      CREATE TRIGGER orders_feed AFTER INSERT ON orders BEGIN INSERT INTO ai_feed (a) VALUES (new.qty); END;
      CREATE TABLE ai_idx (a INTEGER);
      CREATE INDEX ai_idx_a ON ai_idx (a);
      CREATE VIEW hinted AS SELECT a FROM ai_idx INDEXED BY ai_idx_a;
      CREATE TABLE ai_cols (a INTEGER, b INTEGER);
      CREATE TABLE audit_src (a INTEGER, g INTEGER GENERATED ALWAYS AS (a + 1));
      CREATE TRIGGER audit_cols AFTER UPDATE OF a ON audit_src BEGIN INSERT INTO ai_cols (a, b) VALUES (new.a, new.g); END;
      CREATE TABLE ai_parent (id INTEGER PRIMARY KEY);
      CREATE TABLE ledger (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES ai_parent (id));
      CREATE TABLE ai_codes (code TEXT);
      CREATE UNIQUE INDEX ai_codes_code ON ai_codes (code);
      CREATE TABLE uses_code (id INTEGER PRIMARY KEY, code TEXT REFERENCES ai_codes (code));
      CREATE TABLE ai_wide (a INTEGER, b INTEGER);
      CREATE TABLE wide_log (a INTEGER, b INTEGER);
      CREATE TRIGGER ai_wide_log AFTER INSERT ON ai_wide BEGIN INSERT INTO wide_log SELECT * FROM ai_wide WHERE rowid = new.rowid; END;
      CREATE TABLE ai_alone (a INTEGER);
      CREATE TABLE ai_gone (a INTEGER);
      CREATE VIEW stale AS SELECT a FROM ai_gone;
      DROP TABLE ai_gone;
    `);
    seedDb.close();
    const dep = probeOf(depPath);
    const before = dep.schemaNames();
    const attempts: [string, string][] = [
      ['DROP TABLE ai_src', 'ai_src'],
      ['DROP TABLE ai_feed', 'ai_feed'],
      ['DROP INDEX ai_idx_a', 'ai_idx_a'],
      // Only the UPDATE that fires audit_cols (its table has a generated column) shows this one.
      ['DROP TABLE ai_cols', 'ai_cols'],
      // ledger is empty, so nothing cascades; its next INSERT would fail with the parent gone.
      ['DROP TABLE ai_parent', 'ai_parent'],
      // The unique index a foreign key of yours needs ("foreign key mismatch" on the next write).
      ['DROP INDEX ai_codes_code', 'ai_codes_code'],
      // A trigger of yours on an owned table, reading all its columns into a table of yours.
      ['ALTER TABLE ai_wide ADD COLUMN c INTEGER', 'ai_wide'],
    ];
    for (const [sql, owned] of attempts) {
      await withSource(
        ddlPlan([owned]),
        async (source) => {
          const error = await source.write(ddl(sql, undefined)).catch((e: unknown) => e);
          expect(error, sql).toMatchObject({ code: 'WRITE_NOT_ALLOWED' });
          expect((error as Error).message, sql).toMatch(/view or trigger.*would stop working.*rolled back and nothing changed/);
        },
        { path: depPath },
      );
    }
    expect(dep.schemaNames()).toEqual(before);
    // The objects the changes would have broken still work, checked by using them.
    const use = new Database(depPath);
    use.exec('INSERT INTO orders (qty) VALUES (7); INSERT INTO audit_src (a) VALUES (1); UPDATE audit_src SET a = 2');
    expect(use.prepare('SELECT a FROM ai_feed').pluck().all()).toEqual([7]);
    expect(use.prepare('SELECT a, b FROM ai_cols').raw(true).all()).toEqual([[2, 3]]);
    expect(use.prepare('SELECT count(*) FROM report').pluck().get()).toBe(0);
    expect(use.prepare('SELECT count(*) FROM hinted').pluck().get()).toBe(0);
    use.exec('PRAGMA foreign_keys = ON; INSERT INTO ai_parent VALUES (1); INSERT INTO ledger VALUES (1, 1)');
    expect(use.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(1);
    use.close();
    // A view that was already broken is not the change's doing, and a table nothing depends on drops.
    await withSource(ddlPlan(['ai_alone']), async (source) => {
      expect(await source.write(ddl('DROP TABLE ai_alone', undefined))).toMatchObject({ affected: 0, committed: true });
    }, { path: depPath });
    expect(dep.schemaNames()).not.toContain('ai_alone');
    expect(dep.schemaNames()).toContain('stale');
  });

  it('over the cap rolls everything back, counting rows changed by foreign-key actions', async () => {
    const canary = checksum('canary');
    const child = checksum('child');
    await withSource(dmlPlan(), async (source) => {
      const error = await source.write(dml("UPDATE canary SET note = 'gone' WHERE id > 0", { maxAffectedRows: 5 })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'WRITE_LIMIT_EXCEEDED' });
      expect((error as Error).message).toMatch(/changes 20 rows.*limit of 5.*rolled back and nothing changed/);
      // One parent row, three child rows deleted by ON DELETE CASCADE: four changes.
      expect(await codeOf(source.write(dml('DELETE FROM parent WHERE id = 1', { maxAffectedRows: 3 })))).toBe('WRITE_LIMIT_EXCEEDED');
      expect(await codeOf(source.write(dml("UPDATE canary SET note = 'gone' WHERE id > 0", { maxAffectedRows: 5, dryRun: true })))).toBe('WRITE_LIMIT_EXCEEDED');
    });
    expect(checksum('canary')).toBe(canary);
    expect(checksum('child')).toBe(child);
    expect(probe('SELECT id FROM parent ORDER BY id')).toEqual([[1], [2]]);
  });

  it('a DML dry run shows the rows as they would be, and the file keeps its data', async () => {
    const before = checksum('canary');
    const result = await withSource(dmlPlan(1), (source) => source.write(dml("UPDATE canary SET note = note || ' (vip)' WHERE id <= ?", { params: [3], dryRun: true, sampleRows: 2 })));
    expect(result).toMatchObject({ affected: 3, committed: false });
    expect(result.sample?.columns.map((c) => c.name)).toEqual(['id', 'note']);
    expect(result.sample?.rows).toEqual([
      [1, 'row 1 (vip)'],
      [2, 'row 2 (vip)'],
    ]);
    expect(result.sample?.truncated).toBe(true);
    expect(checksum('canary')).toBe(before);
  });

  it('a DDL dry run returns the definition and creates nothing', async () => {
    const before = schemaNames();
    await withSource(ddlPlan(['ai_notes']), async (source) => {
      const result = await source.write(ddl('CREATE TABLE ai_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)', 'ai_notes', { dryRun: true }));
      expect(result).toMatchObject({ affected: 0, committed: false });
      expect(result.definition).toBe('CREATE TABLE ai_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE);');
      const index = await source.write(ddl('CREATE TABLE ai_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT)', 'ai_notes', { dryRun: true }));
      expect(index.definition).toMatch(/AUTOINCREMENT/);
    });
    expect(schemaNames()).toEqual(before);
    expect(schemaNames()).not.toContain('sqlite_sequence');
  });

  it('a definition longer than the byte cap is cut with a marker that says so, never silently', async () => {
    await withSource(ddlPlan(['ai_wide']), async (source) => {
      const result = await source.write(ddl('CREATE TABLE ai_wide (id INTEGER PRIMARY KEY, a_rather_long_column_name TEXT)', 'ai_wide', { dryRun: true, maxBytes: 30 }));
      expect(result.definition).toBe('CREATE TABLE ai_wide (id INTEG\n-- [cut at 30 characters (limits.max_bytes): the definition goes on]');
    });
  });

  it('real runs commit and a separate connection sees them', async () => {
    await withSource(ddlPlan(['ai_log']), async (source) => {
      const created = await source.write(ddl('CREATE TABLE ai_log (id INTEGER PRIMARY KEY, msg TEXT)', 'ai_log'));
      expect(created).toMatchObject({ committed: true, definition: 'CREATE TABLE ai_log (id INTEGER PRIMARY KEY, msg TEXT);' });
    });
    await withSource(ddlPlan(['ai_log_msg', 'ai_log']), async (source) => {
      const index = await source.write(ddl('CREATE INDEX ai_log_msg ON ai_log (msg)', 'ai_log'));
      expect(index.definition).toBe('CREATE TABLE ai_log (id INTEGER PRIMARY KEY, msg TEXT);\nCREATE INDEX ai_log_msg ON ai_log (msg);');
    });
    await withSource(dmlPlan(2), async (source) => {
      const inserted = await source.write(dml('INSERT INTO ai_log (id, msg) VALUES (?, ?)', { params: [1, 'hello'] }));
      expect(inserted).toEqual({ affected: 1, committed: true });
      // ?NNN parameters bind by number, as reads do.
      expect(await source.write(dml("UPDATE canary SET note = ?2 WHERE id = ?1", { params: [20, 'changed'] }))).toMatchObject({ affected: 1 });
    });
    expect(probe('SELECT id, msg FROM ai_log')).toEqual([[1, 'hello']]);
    expect(probe('SELECT note FROM canary WHERE id = 20')).toEqual([['changed']]);
    expect(schemaNames()).toContain('ai_log_msg');
  });

  it('a constraint failure rolls back and names the constraint; foreign keys are enforced', async () => {
    const before = checksum('child');
    await withSource(dmlPlan(), async (source) => {
      const unique = await source.write(dml('INSERT INTO child (id, parent_id) VALUES (10, 1), (1, 1)')).catch((e: unknown) => e);
      expect(unique).toMatchObject({ code: 'QUERY_FAILED' });
      expect((unique as Error).message).toMatch(/UNIQUE constraint failed: child\.id/);
      const foreign = await source.write(dml('INSERT INTO child (id, parent_id) VALUES (11, 99)')).catch((e: unknown) => e);
      expect((foreign as Error).message).toMatch(/FOREIGN KEY constraint failed/);
    });
    expect(checksum('child')).toBe(before);
  });

  it('a write past the time limit is stopped, nothing is committed, and the next calls work', async () => {
    const canary = checksum('canary');
    await withSource(
      dmlPlan(),
      async (source) => {
        const error = await source.write(dml('INSERT INTO ai_big SELECT a.x, b.x, c.x FROM gen a, gen b, gen c', { maxAffectedRows: 10_000_000 })).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'QUERY_TIMEOUT' });
        expect((error as Error).message).toMatch(/almost certainly not applied/);
        // The killed write left its journal behind: the next read still works (a writable connection rolls it back).
        expect((await source.read({ sql: 'SELECT count(*) FROM ai_big', params: [], ...CAPS })).rows).toEqual([[0]]);
        expect(await source.write(dml('INSERT INTO ai_big VALUES (1, 2, 3)'))).toEqual({ affected: 1, committed: true });
      },
      { statement_timeout_ms: 700 },
    );
    expect(probe('SELECT count(*) FROM ai_big')).toEqual([[1]]);
    expect(checksum('canary')).toBe(canary);
    expect(existsSync(`${dbPath}-journal`)).toBe(false);
  });

  it('the read connection still refuses writes after writes were enabled', async () => {
    const before = checksum('canary');
    await withSource(dmlPlan(), async (source) => {
      await source.write(dml('UPDATE canary SET note = note WHERE id = 1'));
      for (const sql of ["UPDATE canary SET note = 'x' WHERE id = 1", 'DELETE FROM canary RETURNING *', 'CREATE TABLE ai_sneaky (a)']) {
        expect(await codeOf(source.read({ sql, params: [], ...CAPS })), sql).toBe('SQL_NOT_READ_ONLY');
      }
    });
    expect(checksum('canary')).toBe(before);
    expect(schemaNames()).not.toContain('ai_sneaky');
  });

  it('refuses a statement that is not the one the plan checked', async () => {
    const mismatch: PlanSqliteWrite = (sql, tool) => {
      const plan = dmlPlan()(sql, tool);
      return { ...plan, checked: { ...plan.checked, sql: 'DELETE FROM canary WHERE id = 1' } };
    };
    await withSource(mismatch, async (source) => {
      expect(await codeOf(source.write(dml('DELETE FROM canary WHERE id = 2')))).toBe('INTERNAL');
    });
    expect(probe('SELECT count(*) FROM canary')).toEqual([[20]]);
  });

  it('a source with writes disabled never opens a writable connection', async () => {
    const before = statSync(dbPath);
    const disabled = { writes: { enabled: false } as SqliteSourceConfig['writes'] };
    await withSource(
      undefined,
      async (source) => {
        expect((await source.read({ sql: 'SELECT count(*) FROM canary', params: [], ...CAPS })).rows).toEqual([[20]]);
        const error = await source.write(dml('DELETE FROM canary WHERE id = 1')).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'DENIED_BY_POLICY' });
      },
      disabled,
    );
    const after = statSync(dbPath);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
    expect(probe('SELECT count(*) FROM canary')).toEqual([[20]]);
  });
});

const WRITER = { id: 'key:sqlite-writer', kind: 'api_key', role: 'writer', scopes: [] } as const;
const ROBOT = { id: 'key:sqlite-robot', kind: 'api_key', role: 'robot', scopes: [] } as const;

function data(result: CallToolResult): Record<string, unknown> {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

async function auditRecords(bastion: TestBastion): Promise<Record<string, unknown>[]> {
  const text = readFileSync(join(bastion.auditDir, 'audit.jsonl'), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('governed writes on SQLite through MCP', () => {
  const e2ePath = join(dir, 'e2e.db');
  const { probe: e2e, checksum: e2eChecksum, schemaNames: e2eNames } = probeOf(e2ePath);
  const source = (writes: Record<string, unknown> = {}) => ({ main: { engine: 'sqlite', path: e2ePath, writes: { enabled: true, ...writes } } });
  const robotRole = { robot: { tools: ['*'], tables: { allow: ['*.*'], deny: ['*.secret'] }, approval: { main: 'none' } } };
  let bastion: TestBastion;
  let robot: TestBastion;

  beforeAll(async () => {
    seed(e2ePath);
    bastion = await startBastion({ sources: source() }, WRITER);
    robot = await startBastion({ sources: source({ max_affected_rows: 5 }), roles: robotRole }, ROBOT);
  });
  afterAll(async () => {
    await bastion?.close();
    await robot?.close();
  });

  it('lists the write tools for a writer and reports the source as read-write', async () => {
    expect((await bastion.client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['execute', 'change_schema']));
    expect(data(await bastion.call('list_sources', {}))).toEqual({ sources: [{ name: 'main', engine: 'sqlite', mode: 'read-write' }] });
    const reader = await startBastion({ sources: source() }, { ...WRITER, id: 'key:sqlite-reader', role: 'reader' });
    try {
      expect((await reader.client.listTools()).tools.map((t) => t.name)).not.toContain('execute');
      expect(errorCode(await reader.call('execute', { sql: 'DELETE FROM canary WHERE id = 1', dry_run: false }))).toBe('TOOL_NOT_ALLOWED');
    } finally {
      await reader.close();
    }
    expect(e2e('SELECT count(*) FROM canary')).toEqual([[20]]);
  });

  it('a DML dry run shows the rows as they would be and changes nothing', async () => {
    const before = e2eChecksum('canary');
    const answer = data(await bastion.call('execute', { sql: "UPDATE canary SET note = note || ' (vip)' WHERE id <= ?", params: [3] }));
    expect(answer).toMatchObject({ source: 'main', tool: 'execute', dry_run: true, affected_rows: 3, committed: false });
    const sample = answer['sample'] as { columns: string[]; rows: unknown[][] };
    expect(sample.columns).toEqual(['id', 'note']);
    expect(sample.rows).toEqual([
      [1, 'row 1 (vip)'],
      [2, 'row 2 (vip)'],
      [3, 'row 3 (vip)'],
    ]);
    expect(e2eChecksum('canary')).toBe(before);
  });

  it('a DDL dry run shows the definition and creates nothing', async () => {
    const before = e2eNames();
    const answer = data(await bastion.call('change_schema', { sql: 'CREATE TABLE ai_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' }));
    expect(answer).toMatchObject({ dry_run: true, committed: false });
    expect(answer['definition']).toBe('CREATE TABLE ai_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);');
    expect(e2eNames()).toEqual(before);
  });

  it('a real run waits for a person, then runs exactly the approved statement once', async () => {
    const sql = 'DELETE FROM canary WHERE id = ?';
    const before = e2eChecksum('canary');
    const pending = data(await bastion.call('execute', { sql, params: [20], dry_run: false }));
    expect(pending).toMatchObject({ status: 'pending' });
    // The pending answer shows the bound value and the row that would go.
    expect(String(pending['dry_run_result'])).toContain('Parameters (bound to the placeholders, in order):\n  ?1 = 20\nDry run: 1 row would be deleted.\nRows to be deleted (first 1 of 1):');
    expect(String(pending['dry_run_result'])).toMatch(/\n {2}\[20,"[^"\n]*"\]$/);
    const id = pending['approval_id'] as string;
    expect(errorCode(await bastion.call('execute', { sql, params: [20], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(e2eChecksum('canary')).toBe(before);

    await bastion.ctx.approvals!.decide(id, 'approved', 'alice@test');
    expect(errorCode(await bastion.call('execute', { sql, params: [19], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(e2eChecksum('canary')).toBe(before);
    expect(data(await bastion.call('execute', { sql, params: [20], dry_run: false, approval_id: id }))).toMatchObject({ dry_run: false, affected_rows: 1, committed: true });
    expect(e2e('SELECT count(*), max(id) FROM canary')).toEqual([[19, 19]]);
    expect(errorCode(await bastion.call('execute', { sql, params: [20], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');

    const ddl = data(await bastion.call('change_schema', { sql: 'CREATE TABLE ai_pending (id INTEGER PRIMARY KEY)', dry_run: false }));
    expect(ddl).toMatchObject({ status: 'pending' });
    expect(String(ddl['dry_run_result'])).toContain('CREATE TABLE ai_pending');
    expect(e2eNames()).not.toContain('ai_pending');
    await bastion.ctx.approvals!.decide(ddl['approval_id'] as string, 'approved', 'alice@test');
    const created = data(await bastion.call('change_schema', { sql: 'CREATE TABLE ai_pending (id INTEGER PRIMARY KEY)', dry_run: false, approval_id: ddl['approval_id'] }));
    expect(created).toMatchObject({ committed: true, definition: 'CREATE TABLE ai_pending (id INTEGER PRIMARY KEY);' });
    expect(e2eNames()).toContain('ai_pending');

    const records = (await auditRecords(bastion)).filter((r) => r['tool'] === 'execute' || r['tool'] === 'change_schema');
    expect(records.some((r) => r['dry_run'] === true && r['outcome'] === 'ok')).toBe(true);
    expect(records.find((r) => (r['approval'] as { state?: string } | undefined)?.state === 'used')).toMatchObject({ outcome: 'ok', affected: 1, approval: { id, by: 'alice@test' } });
  });

  it('with approval none, owned objects are created, filled, changed and dropped', async () => {
    expect(data(await robot.call('change_schema', { sql: 'CREATE TABLE ai_x (id INTEGER PRIMARY KEY, note TEXT)', dry_run: false }))).toMatchObject({ committed: true });
    expect(data(await robot.call('execute', { sql: "INSERT INTO ai_x VALUES (1, 'a'), (2, 'b')", dry_run: false }))).toMatchObject({ affected_rows: 2, committed: true });
    expect(data(await robot.call('execute', { sql: "UPDATE ai_x SET note = 'c' WHERE id = ?", params: [2], dry_run: false }))).toMatchObject({ affected_rows: 1 });
    expect(data(await robot.call('change_schema', { sql: 'CREATE INDEX ai_x_note ON ai_x (note)', dry_run: false }))).toMatchObject({ committed: true });
    expect(data(await robot.call('change_schema', { sql: 'CREATE VIEW ai_x_report AS SELECT id FROM ai_x', dry_run: false }))).toMatchObject({ committed: true });
    expect(data(await robot.call('change_schema', { sql: 'ALTER TABLE ai_x ADD COLUMN n INTEGER NOT NULL DEFAULT 0', dry_run: false }))).toMatchObject({ committed: true });
    expect(e2e('SELECT id, note, n FROM ai_x ORDER BY id')).toEqual([
      [1, 'a', 0],
      [2, 'c', 0],
    ]);
    // The new table is visible to reads at once (the catalog is refreshed after a schema change).
    expect(data(await robot.call('query', { sql: 'SELECT count(*) AS n FROM ai_x_report' }))).toMatchObject({ rows: [[2]] });
    expect(data(await robot.call('change_schema', { sql: 'DROP VIEW ai_x_report', dry_run: false }))).toMatchObject({ committed: true });
    expect(e2eNames()).not.toContain('ai_x_report');
    expect((await auditRecords(robot)).at(-1)).toMatchObject({ tool: 'change_schema', dry_run: false, approval: { state: 'none' }, outcome: 'ok' });
  });

  it('an UPDATE over the affected-row cap rolls back entirely', async () => {
    const before = e2eChecksum('canary');
    expect(errorCode(await robot.call('execute', { sql: "UPDATE canary SET note = 'gone' WHERE id > 0", dry_run: false }))).toBe('WRITE_LIMIT_EXCEEDED');
    expect(e2eChecksum('canary')).toBe(before);
  });

  it('the engine refuses what the policy lets through: dropping an owned table that cascades into a table it does not own', async () => {
    const keeper = e2eChecksum('keeper');
    const result = await robot.call('change_schema', { sql: 'DROP TABLE ai_owned', dry_run: false });
    expect(errorCode(result)).toBe('WRITE_NOT_ALLOWED');
    expect(JSON.stringify(result.content)).toMatch(/also changed rows/);
    expect(e2eNames()).toContain('ai_owned');
    expect(e2eChecksum('keeper')).toBe(keeper);
  });

  it('attacks change nothing: canary, schema and file system intact', async () => {
    const attached = join(dir, 'attached.db');
    const vacuumed = join(dir, 'vacuumed.db');
    const before = { canary: e2eChecksum('canary'), secret: e2eChecksum('secret'), aiX: e2eChecksum('ai_x'), names: e2eNames() };
    const attacks: [tool: 'execute' | 'change_schema', sql: string, code: string][] = [
      ['execute', 'DELETE FROM canary', 'WRITE_NOT_ALLOWED'],
      ['execute', "UPDATE canary SET note = 'x'", 'WRITE_NOT_ALLOWED'],
      ['execute', "UPDATE canary SET note = 'x' WHERE 1 = 1", 'WRITE_NOT_ALLOWED'],
      // A view without INSTEAD OF triggers is read-only to SQLite itself: the database refuses this one.
      ['execute', "UPDATE canary_view SET note = 'x' WHERE id = 1", 'QUERY_FAILED'],
      ['change_schema', "CREATE VIEW ai_v AS UPDATE canary SET note = 'x'", 'WRITE_NOT_ALLOWED'],
      ['change_schema', "CREATE TRIGGER ai_tr AFTER INSERT ON ai_x BEGIN UPDATE canary SET note = 'x'; END", 'SQL_MULTIPLE_STATEMENTS'],
      ['execute', 'INSERT INTO ai_x SELECT * FROM sqlite_master', 'SQL_FEATURE_DENIED'],
      ['execute', 'INSERT INTO ai_x (id, note) SELECT id + 100, token FROM secret', 'TABLE_NOT_FOUND'],
      ['change_schema', 'CREATE TABLE ai_t AS SELECT token FROM secret', 'TABLE_NOT_FOUND'],
      ['change_schema', 'CREATE VIEW ai_sv AS SELECT * FROM secret', 'TABLE_NOT_FOUND'],
      ['execute', `ATTACH '${attached}' AS y`, 'WRITE_NOT_ALLOWED'],
      ['change_schema', `ATTACH '${attached}' AS y`, 'WRITE_NOT_ALLOWED'],
      ['change_schema', `VACUUM INTO '${vacuumed}'`, 'WRITE_NOT_ALLOWED'],
      ['change_schema', 'DROP TABLE canary', 'WRITE_NOT_ALLOWED'],
      ['change_schema', 'DROP TABLE ai_x; DROP TABLE canary', 'SQL_MULTIPLE_STATEMENTS'],
      ['change_schema', 'ALTER TABLE ai_x RENAME TO canary2', 'WRITE_NOT_ALLOWED'],
      ['change_schema', 'ALTER TABLE canary RENAME TO ai_canary', 'WRITE_NOT_ALLOWED'],
      ['change_schema', 'CREATE INDEX ai_i ON canary (note)', 'WRITE_NOT_ALLOWED'],
      ['change_schema', 'CREATE TEMP TABLE ai_tmp (a)', 'WRITE_NOT_ALLOWED'],
      ['change_schema', "CREATE TABLE ai_f (a DEFAULT (readfile('/etc/passwd')))", 'SQL_FUNCTION_DENIED'],
      ['execute', "INSERT INTO ai_x (id, note) VALUES (9, load_extension('x'))", 'SQL_FUNCTION_DENIED'],
      ['execute', "REPLACE INTO canary (id, note) VALUES (1, 'changed')", 'WRITE_NOT_ALLOWED'],
      ['execute', "INSERT OR REPLACE INTO canary (id, note) VALUES (1, 'changed')", 'WRITE_NOT_ALLOWED'],
      ['execute', "INSERT INTO canary (id, note) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'changed'", 'WRITE_NOT_ALLOWED'],
      ['execute', 'PRAGMA writable_schema = 1', 'WRITE_NOT_ALLOWED'],
      ['execute', "WITH d AS (SELECT 1) DELETE FROM canary WHERE id IN (SELECT * FROM d)", 'WRITE_NOT_ALLOWED'],
      ['execute', 'DELETE FROM canary WHERE id = 1 RETURNING *', 'WRITE_NOT_ALLOWED'],
    ];
    for (const [tool, sql, code] of attacks) {
      expect(errorCode(await robot.call(tool, { sql, dry_run: false })), sql).toBe(code);
    }
    expect(e2eChecksum('canary')).toBe(before.canary);
    expect(e2eChecksum('secret')).toBe(before.secret);
    expect(e2eChecksum('ai_x')).toBe(before.aiX);
    expect(e2eNames()).toEqual(before.names);
    expect(existsSync(attached)).toBe(false);
    expect(existsSync(vacuumed)).toBe(false);
  });
});
