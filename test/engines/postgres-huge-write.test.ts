/**
 * A write that returns a value longer than V8's longest string (RETURNING of a 600 MB
 * value PostgreSQL builds): the row is never read, the call fails with QUERY_FAILED,
 * nothing is committed, and the same source serves the next call. Before the wire
 * gate this ended the process while pg decoded the row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type PostgresSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import { PostgresSource } from '../../src/engines/postgres/source.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

describe.skipIf(!postgres.ok)('PostgreSQL: a huge value returned by a write', () => {
  let db: TestDatabase;
  let source: PostgresSource;

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    await db.admin('CREATE TABLE ai_notes (id int PRIMARY KEY, body text)');
    const config = sourceSchema.parse({ engine: 'postgres', url: db.url, statement_timeout_ms: 60_000, writes: { enabled: true } }) as PostgresSourceConfig;
    source = new PostgresSource('main', config, createLogger('silent'));
  });
  afterAll(async () => {
    await source?.close();
    await db?.drop();
  });

  it('INSERT … RETURNING a 600 MB value fails the call, commits nothing, and the source keeps serving', async () => {
    const error = await source
      .write({ kind: 'dml', sql: "INSERT INTO ai_notes VALUES (1, repeat('x', 600000000)) RETURNING body", params: [], dryRun: false, maxAffectedRows: 10, maxBytes: 1024 * 1024 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(BastionError);
    expect((error as BastionError).code).toBe('QUERY_FAILED');
    expect((error as BastionError).message).toContain('not committed');
    expect((await db.admin('SELECT count(*)::int AS n FROM ai_notes')).rows).toEqual([{ n: 0 }]);
    const next = await source.read({ sql: 'SELECT 7 AS seven', params: [], maxRows: 1, maxBytes: 100 });
    expect(next.rows).toEqual([[7]]);
  }, 120_000);
});
