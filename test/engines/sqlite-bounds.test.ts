/**
 * SQLite's resource bounds, by effect on a real worker process. The worker's memory bounds are
 * the source's settings (worker_memory_mb as RLIMIT_DATA, worker_heap_mb as the V8 heap) and
 * reach the process; a value larger than the byte cap never crosses from the worker to the
 * server process (the answer is truncated, no message carries it); sorts keep their temporary
 * storage in the worker's bounded memory rather than in files on the host's disk. The corpus:
 * sort, aggregate, recursive and cartesian statements end at the time limit (the worker is
 * gone 3 s later and the next call is answered); blob bombs fail or are truncated and the
 * next call is answered; the guard refuses blob builders and load_extension under an alias.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type SqliteSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import type { EngineParts } from '../../src/engine/parts.js';
import { openSqliteEngine } from '../../src/engines/sqlite/index.js';
import { WORKER_DATA_BOUNDED } from '../../src/engines/sqlite/source.js';
import { createLogger } from '../../src/log/logger.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const log = createLogger('silent');
const dir = mkdtempSync(join(tmpdir(), 'bastion-sqlite-bounds-'));
const dbPath = join(dir, 'bounds.db');
const CAPS = { maxRows: 100, maxBytes: 1 << 20 };
const MIB = 1024 * 1024;

type Worker = { child?: { pid?: number; prependListener(event: 'message', listener: (message: unknown) => void): unknown } };

function config(options: Record<string, unknown> = {}): SqliteSourceConfig {
  return sourceSchema.parse({ engine: 'sqlite', path: dbPath, ...options }) as SqliteSourceConfig;
}

async function outcomeOf(promise: Promise<unknown>): Promise<{ code?: string; message?: string; value?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return error instanceof BastionError ? { code: error.code, message: error.message } : { code: `RAW ${String(error)}` };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Temporary files SQLite holds open in the process (unlinked at once, so only /proc shows them). */
function temporaryFiles(pid: number): string[] {
  const found: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (/etilqs_/.test(target)) found.push(target);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // the process ended
  }
  return found;
}

describe('SQLite: resource bounds', () => {
  const opened: EngineParts[] = [];

  async function open(options: Record<string, unknown> = {}): Promise<EngineParts & { source: EngineParts['source'] & Worker }> {
    const parts = await openSqliteEngine('bounds', config(options), log);
    opened.push(parts);
    return parts;
  }

  async function workerPid(parts: EngineParts & { source: Worker }): Promise<number> {
    expect((await parts.source.read({ sql: 'SELECT count(*) FROM canary', params: [], ...CAPS })).rows).toEqual([[20]]);
    const pid = parts.source.child?.pid;
    if (pid === undefined) throw new Error('no worker');
    return pid;
  }

  beforeAll(() => {
    ensureWorkerBuilt();
    const db = new Database(dbPath);
    db.exec('CREATE TABLE canary (id INTEGER PRIMARY KEY, note TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO canary (id, note) VALUES (?, ?)');
    for (let i = 1; i <= 20; i++) insert.run(i, `row ${i}`);
    db.close();
  });
  afterAll(async () => {
    for (const parts of opened) await parts.source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('memory bounds are settings of the source', () => {
    it('default to 1 GiB of data memory and 512 MiB of heap; a heap not under the data bound is refused at start-up', () => {
      expect(config()).toMatchObject({ worker_memory_mb: 1024, worker_heap_mb: 512 });
      expect(() => config({ worker_memory_mb: 512, worker_heap_mb: 512 })).toThrow(/worker_heap_mb must be less than worker_memory_mb/);
      expect(() => config({ worker_memory_mb: 16 })).toThrow();
    });

    it.skipIf(!WORKER_DATA_BOUNDED)('the configured bounds reach the worker process', async () => {
      const parts = await open({ worker_memory_mb: 384, worker_heap_mb: 192 });
      const pid = await workerPid(parts);
      const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
      expect(Number(/^Max data size\s+(\d+)/mu.exec(limits)?.[1])).toBe(384 * MIB);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-old-space-size=192');
    });

    it('a 300 MB blob never crosses to the server process: the answer is truncated and no message carried it', async () => {
      const parts = await open({ statement_timeout_ms: 60_000 });
      await workerPid(parts);
      let largest = 0;
      parts.source.child?.prependListener('message', (message) => {
        largest = Math.max(largest, JSON.stringify(message).length);
      });
      // Sent straight to the source: the guard refuses randomblob.
      const result = await parts.source.read({ sql: 'SELECT 1 AS n, randomblob(300000000) AS b', params: [], ...CAPS });
      expect(result.truncated).toBe(true);
      expect(result.truncatedBy).toBe('bytes');
      expect(result.rows).toEqual([]);
      expect(largest).toBeGreaterThan(0);
      expect(largest).toBeLessThan(CAPS.maxBytes);
      expect((await parts.source.read({ sql: 'SELECT count(*) FROM canary', params: [], ...CAPS })).rows).toEqual([[20]]);
    }, 90_000);
  });

  it('a large sort keeps its temporary storage in the worker\'s bounded memory: no temporary file on the host\'s disk', async () => {
    const parts = await open({ statement_timeout_ms: 60_000 });
    const pid = await workerPid(parts);
    const seen = new Set<string>();
    let done = false;
    const sampler = (async () => {
      while (!done) {
        for (const file of temporaryFiles(pid)) seen.add(file);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    // About 250 MB to sort in full before the first row (no LIMIT: SQLite would keep only the top
    // rows): far past SQLite's page cache, under the worker's 1 GiB. The read stops at max rows.
    const sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1500000) SELECT x, printf('%.100c', 'a') AS p FROM n ORDER BY random()";
    expect(parts.guard.checkRead(sql, 'query').sql).toBe(sql);
    const outcome = await outcomeOf(parts.source.read({ sql, params: [], ...CAPS }));
    done = true;
    await sampler;
    expect(outcome.code).toBeUndefined();
    expect(outcome.value).toMatchObject({ truncatedBy: 'rows' });
    expect([...seen]).toEqual([]);
  }, 90_000);

  describe('corpus: runaway statements end at the time limit and leave nothing running', () => {
    const RUNAWAYS: [string, string][] = [
      ['an endless recursive CTE', 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n'],
      ['a cartesian product', 'SELECT count(*) FROM canary a, canary b, canary c, canary d, canary e, canary f, canary g, canary h'],
      ['a sort of a billion rows', 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) SELECT x FROM n ORDER BY x DESC LIMIT 1'],
      ['an aggregate over a billion groups', 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000) SELECT count(*) FROM (SELECT x, count(*) FROM n GROUP BY x)'],
    ];
    for (const [name, sql] of RUNAWAYS) {
      it(`${name} passes the guard, ends with the time limit (or out of memory), and the worker is gone 3 s later`, async () => {
        const parts = await open({ statement_timeout_ms: 1500, worker_memory_mb: 512, worker_heap_mb: 256 });
        const pid = await workerPid(parts);
        expect(parts.guard.checkRead(sql, 'query').sql).toBe(sql);
        const started = Date.now();
        const outcome = await outcomeOf(parts.source.read({ sql, params: [], ...CAPS }));
        const elapsed = Date.now() - started;
        expect(outcome.code).toMatch(/^(QUERY_TIMEOUT|QUERY_FAILED)$/);
        if (outcome.code === 'QUERY_FAILED') expect(outcome.message).toMatch(/more memory than this source allows/);
        expect(elapsed).toBeLessThan(10_000);
        // A statement stopped by the time limit stops with its process.
        if (outcome.code === 'QUERY_TIMEOUT') await expect.poll(() => alive(pid), { timeout: 3000, interval: 50 }).toBe(false);
        expect((await parts.source.read({ sql: 'SELECT count(*) FROM canary', params: [], ...CAPS })).rows).toEqual([[20]]);
      }, 60_000);
    }
  });

  describe('corpus: huge values fail or are truncated, and the next call is answered', () => {
    const BOMBS: [string, string][] = [
      ['randomblob(1e9)', 'SELECT randomblob(1000000000) AS b'],
      ['zeroblob(1e9)', 'SELECT zeroblob(1000000000) AS b'],
      ['a recursive CTE growing one string', "WITH RECURSIVE s(v) AS (SELECT 'x' UNION ALL SELECT v || v FROM s WHERE length(v) < 1000000000) SELECT max(length(v)) AS n, v FROM s"],
    ];
    for (const [name, sql] of BOMBS) {
      it(`${name} (sent straight to the source)`, async () => {
        const parts = await open({ statement_timeout_ms: 60_000 });
        await workerPid(parts);
        const outcome = await outcomeOf(parts.source.read({ sql, params: [], ...CAPS }));
        if (outcome.code !== undefined) expect(outcome.code).toMatch(/^(QUERY_FAILED|SOURCE_UNAVAILABLE)$/);
        else expect(outcome.value).toMatchObject({ truncated: true, truncatedBy: 'bytes', rows: [] });
        expect((await parts.source.read({ sql: 'SELECT count(*) FROM canary', params: [], ...CAPS })).rows).toEqual([[20]]);
      }, 90_000);
    }

    it.each([
      ['randomblob', 'SELECT randomblob(1000000000) AS b'],
      ['zeroblob', 'SELECT zeroblob(1000000000) AS x'],
      ['load_extension under an alias', "SELECT load_extension('/tmp/x.so') AS x"],
      ['PRAGMA temp_store', 'PRAGMA temp_store = FILE'],
    ])('the guard refuses %s', async (_name, sql) => {
      const parts = await open();
      let code: string | undefined;
      try {
        parts.guard.checkRead(sql, 'query');
      } catch (error) {
        code = error instanceof BastionError ? error.code : String(error);
      }
      expect(code).toBeDefined();
    });
  });
});
