/**
 * PGlite and SQLite run one call at a time. One caller's slow statements must not hold
 * another up for their whole time limits (an attacker queued four 20 s statements and kept
 * another principal waiting 80-90 s): a call that cannot start within the source's
 * queue_timeout_ms gets SOURCE_BUSY with retry advice, never SOURCE_UNAVAILABLE, and the
 * source serves again once the slow statement ends. Judged by effect on both engines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf, startBastion } from '../helpers/bastion.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const SLOW: Principal = { id: 'p:slow', kind: 'api_key', role: 'reader', scopes: [] };
const OTHER: Principal = { id: 'p:other', kind: 'api_key', role: 'reader', scopes: [] };
const folder = mkdtempSync(join(tmpdir(), 'bastion-queue-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const ENGINES = [
  {
    name: 'SQLite',
    source: () => {
      ensureWorkerBuilt();
      const path = join(folder, 'q.db');
      const db = new Database(path);
      db.exec('CREATE TABLE IF NOT EXISTS t (id integer)');
      db.close();
      return { engine: 'sqlite', path };
    },
    slow: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000000000) SELECT count(*) FROM n',
  },
  { name: 'PGlite', source: () => ({ engine: 'pglite' }), slow: 'SELECT count(*) FROM generate_series(1, 4000000000)' },
];

describe.each(ENGINES)('a one-call-at-a-time source ($name): bounded wait', (engine) => {
  it('another caller waits at most queue_timeout_ms, then SOURCE_BUSY; the source serves again after', async () => {
    const bastion = await startBastion({ sources: { main: { ...engine.source(), statement_timeout_ms: 4_000, queue_timeout_ms: 300 } } }, SLOW);
    const other = await openSession(bastion.ctx, OTHER);
    try {
      expect(rowsOf(await other.call('query', { sql: 'SELECT 1' }))).toEqual([[1]]);
      const slow = bastion.call('query', { sql: engine.slow });
      // Give the slow statement the engine first (it is already running or queued ahead).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const busy = await other.call('query', { sql: 'SELECT 2' });
      expect(errorCode(busy)).toBe('SOURCE_BUSY');
      expect(JSON.stringify(busy)).toMatch(/retry/i);
      expect(errorCode(await slow)).toBe('QUERY_TIMEOUT');
      expect(rowsOf(await other.call('query', { sql: 'SELECT 3' }))).toEqual([[3]]);
    } finally {
      await other.close();
      await bastion.close();
    }
  }, 60_000);
});
