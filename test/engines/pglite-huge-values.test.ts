/**
 * The same bound on PGlite (built worker, in-process server): the engine's output is
 * streamed through the wire gate, so a row longer than the bytes left is never copied
 * out of the engine or decoded. The read answers the rows before it, truncated at the
 * byte cap; an error quoting a large value fails the call; the engine is restarted to
 * give back the memory the value took, and another principal's call succeeds after each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';

describe('PGlite: a huge value (built worker)', () => {
  let bastion: TestBastion;
  let other: Awaited<ReturnType<typeof openSession>>;

  beforeAll(async () => {
    bastion = await startBastion({ sources: { demo: { engine: 'pglite', statement_timeout_ms: 60_000 } } }, { id: 'alice', kind: 'api_key', role: 'reader', scopes: [] });
    other = await openSession(bastion.ctx, { id: 'bob', kind: 'api_key', role: 'reader', scopes: [] });
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await bastion?.close();
  });

  async function otherStillServed(): Promise<void> {
    const answer = await other.call('query', { source: 'demo', sql: 'SELECT count(*) AS n FROM shop.customers' });
    expect(errorCode(answer)).toBeUndefined();
    expect(rowsOf(answer)[0]?.[0]).toBeGreaterThan(0);
  }

  it('a 200 MB value after a small row: the small row, truncated at the byte cap; the value never reaches the answer', async () => {
    const sql = "SELECT n, CASE WHEN n = 2 THEN repeat('y', 200000000) ELSE 'small' END AS v FROM generate_series(1, 3) AS n";
    const answer = await bastion.call('query', { source: 'demo', sql });
    expect(errorCode(answer)).toBeUndefined();
    expect(rowsOf(answer)).toEqual([[1, 'small']]);
    expect((answer.structuredContent as Record<string, unknown>)['truncated_by']).toBe('bytes');
    expect(JSON.stringify(answer)).not.toContain('yyyyyyyyyyyyyyyy');
    await otherStillServed();
  }, 120_000);

  it('an error message quoting an 8 MB value fails the call with QUERY_FAILED, and the next call is served', async () => {
    const answer = await bastion.call('query', { source: 'demo', sql: "SELECT repeat('x', 8000000)::int AS v" });
    expect(errorCode(answer)).toBe('QUERY_FAILED');
    expect(JSON.stringify(answer)).not.toContain('xxxxxxxxxxxxxxxx');
    await otherStillServed();
  }, 120_000);

  it('a sort spilling past temp_file_limit_mb ends with the limit exceeded (PGlite honours it too), and the next call is served', async () => {
    const limited = await startBastion({ sources: { demo: { engine: 'pglite', statement_timeout_ms: 60_000, temp_file_limit_mb: 32 } } });
    try {
      const answer = await limited.call('query', { source: 'demo', sql: 'SELECT count(*) FROM (SELECT g FROM generate_series(1, 30000000) AS g ORDER BY md5(g::text)) AS s' });
      expect(errorCode(answer)).toBe('QUERY_FAILED');
      expect(JSON.stringify(answer.content)).toContain('temp_file_limit');
      expect(rowsOf(await limited.call('query', { source: 'demo', sql: 'SELECT 1 AS one' }))).toEqual([[1]]);
    } finally {
      await limited.close();
    }
  }, 120_000);

  it('a 600 MB value (more than the engine can build) fails the call; the process and the source go on', async () => {
    const answer = await bastion.call('query', { source: 'demo', sql: "SELECT repeat('x', 600000000) AS v" });
    expect(errorCode(answer)).toBe('QUERY_FAILED');
    expect(JSON.stringify(answer.content)).toContain('more memory');
    expect(JSON.stringify(answer)).not.toContain('xxxxxxxxxxxxxxxx');
    await otherStillServed();
  }, 120_000);
});
