import { beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../../src/errors/codes.js';
import { SqlPolicy } from '../../../src/engines/postgres-family/policy/policy.js';
import { attacks } from '../../corpus/attacks.js';
import { benign } from '../../corpus/benign.js';

const POLICY_CODES = new Set([
  'SQL_PARSE_ERROR',
  'SQL_MULTIPLE_STATEMENTS',
  'SQL_NOT_READ_ONLY',
  'SQL_FUNCTION_DENIED',
  'SQL_FEATURE_DENIED',
  'DENIED_BY_POLICY',
]);

let policy: SqlPolicy;
beforeAll(async () => {
  policy = await SqlPolicy.create();
});

function verdict(sql: string, tool: 'query' | 'explain'): string {
  try {
    policy.checkReadOnlyStatement(sql, tool);
    return 'ALLOWED';
  } catch (error) {
    if (error instanceof BastionError) return error.code;
    throw error;
  }
}

describe('SQL policy: attack corpus is refused before it reaches a database', () => {
  it('the attack and benign corpora are the same size or the benign one is larger', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(70);
    expect(benign.length).toBeGreaterThanOrEqual(attacks.length);
  });

  it.each(attacks.map((a) => [a.name, a] as const))('refuses: %s', (_name, attack) => {
    const code = verdict(attack.sql, attack.tool);
    expect(POLICY_CODES.has(code), `${attack.intent} -> ${code}`).toBe(true);
  });
});

describe('SQL policy: benign analytics corpus passes untouched', () => {
  it.each(benign.map((b) => [b.name, b] as const))('allows: %s', (_name, query) => {
    const checked = policy.checkReadOnlyStatement(query.sql, 'query');
    expect(checked.sql).toBe(query.sql);
    expect(checked.paramCount).toBe(query.params?.length ?? 0);
  });
});

describe('SQL policy: specific rules', () => {
  it('stacked statements are refused even when the first one is harmless', () => {
    expect(verdict('SELECT 1; COMMIT; DROP TABLE shop.orders', 'query')).toBe('SQL_MULTIPLE_STATEMENTS');
    expect(verdict('SELECT 1 /* ; */ ; /**/ DROP TABLE x', 'query')).toBe('SQL_MULTIPLE_STATEMENTS');
  });

  it('a semicolon inside a string, comment or dollar quote is not a statement boundary', () => {
    expect(verdict("SELECT ';DROP TABLE shop.orders' AS s", 'query')).toBe('ALLOWED');
    expect(verdict('SELECT $x$;COMMIT;DROP TABLE t$x$ AS s -- ;DROP TABLE t', 'query')).toBe('ALLOWED');
  });

  it('a data-modifying CTE is refused wherever it is nested', () => {
    expect(verdict('WITH d AS (DELETE FROM shop.orders RETURNING id) SELECT count(*) FROM d', 'query')).toBe('SQL_NOT_READ_ONLY');
    expect(
      verdict('SELECT * FROM (WITH u AS (UPDATE shop.orders SET total = 0 RETURNING id) SELECT * FROM u) s', 'query'),
    ).toBe('SQL_NOT_READ_ONLY');
  });

  it('SELECT INTO and row locks are refused', () => {
    expect(verdict('SELECT * INTO stolen FROM shop.customers', 'query')).toBe('SQL_NOT_READ_ONLY');
    expect(verdict('SELECT * FROM shop.orders FOR UPDATE', 'query')).toBe('SQL_NOT_READ_ONLY');
    expect(verdict('SELECT * FROM shop.orders FOR KEY SHARE SKIP LOCKED', 'query')).toBe('SQL_NOT_READ_ONLY');
  });

  it('explain takes EXPLAIN of a read only, and never ANALYZE', () => {
    expect(verdict('EXPLAIN SELECT * FROM shop.orders', 'explain')).toBe('ALLOWED');
    expect(verdict('EXPLAIN (FORMAT JSON, VERBOSE) SELECT 1', 'explain')).toBe('ALLOWED');
    expect(verdict('EXPLAIN ANALYZE SELECT 1', 'explain')).toBe('SQL_NOT_READ_ONLY');
    expect(verdict('EXPLAIN (ANALYZE false) SELECT 1', 'explain')).toBe('SQL_NOT_READ_ONLY');
    expect(verdict('EXPLAIN DELETE FROM shop.orders', 'explain')).toBe('SQL_NOT_READ_ONLY');
    expect(verdict('SELECT 1', 'explain')).toBe('SQL_NOT_READ_ONLY');
  });

  it('query takes an EXPLAIN exactly as explain does, and never ANALYZE', () => {
    for (const sql of [
      'EXPLAIN SELECT * FROM shop.orders',
      'EXPLAIN (FORMAT JSON, VERBOSE) SELECT 1',
      '/* plan */ EXPLAIN SELECT 1',
      'EXPLAIN ANALYZE SELECT 1',
      'EXPLAIN (ANALYZE false) SELECT 1',
      'EXPLAIN ANALYSE VERBOSE SELECT 1',
      'EXPLAIN DELETE FROM shop.orders',
      'EXPLAIN (ANALYZE) DELETE FROM shop.orders',
      "EXPLAIN SELECT pg_read_file('/etc/passwd')",
      'EXPLAIN SELECT 1; DROP TABLE shop.orders',
      'EXPLAIN EXECUTE wipe',
      'EXPLAIN SELECT * FROM shop.orders FOR UPDATE',
    ]) {
      expect(verdict(sql, 'query'), sql).toBe(verdict(sql, 'explain'));
    }
    expect(policy.checkReadOnlyStatement('EXPLAIN SELECT id FROM shop.orders', 'query').tool).toBe('explain');
    expect(policy.checkReadOnlyStatement('SELECT id FROM shop.orders', 'query').tool).toBe('query');
  });

  it('denied functions are found in every position and spelling', () => {
    for (const sql of [
      "SELECT pg_read_file('/etc/passwd')",
      "SELECT * FROM pg_read_file('/etc/passwd') AS f",
      "SELECT 1 FROM shop.orders WHERE pg_catalog.pg_read_file('/etc/passwd') IS NOT NULL",
      'SELECT U&"pg\\005fsleep"(10)',
      "SELECT * FROM shop.orders ORDER BY (SELECT pg_sleep(1))",
      "SELECT count(*) FILTER (WHERE set_config('a.b', 'c', false) IS NOT NULL) FROM shop.orders",
      "SELECT x FROM shop.orders, LATERAL (SELECT lo_import('/etc/passwd')) AS l(x)",
      "SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)",
      "SELECT query_to_xml('delete from shop.orders', true, false, '')",
    ]) {
      expect(verdict(sql, 'query'), sql).toBe('SQL_FUNCTION_DENIED');
    }
  });

  it('a function in a schema other than pg_catalog is refused unless configured', async () => {
    expect(verdict('SELECT public.my_func()', 'query')).toBe('SQL_FUNCTION_DENIED');
    const extended = await SqlPolicy.create({ extraFunctions: ['public.my_func'] });
    expect(() => extended.checkReadOnlyStatement('SELECT public.my_func()', 'query')).not.toThrow();
  });

  it('configuration can never allow a dangerous function, in any schema', () => {
    expect(() => new SqlPolicy({ extraFunctions: ['pg_read_file'] })).toThrow(/can never be allowed/);
    expect(() => new SqlPolicy({ extraFunctions: ['public.dblink'] })).toThrow(/can never be allowed/);
  });

  it('catalogs that expose credentials, settings or other sessions are refused', () => {
    expect(verdict('SELECT * FROM pg_shadow', 'query')).toBe('DENIED_BY_POLICY');
    expect(verdict('SELECT * FROM pg_catalog.pg_authid', 'query')).toBe('DENIED_BY_POLICY');
    expect(verdict('SELECT query FROM pg_stat_activity', 'query')).toBe('DENIED_BY_POLICY');
    expect(verdict('SELECT * FROM pg_settings', 'query')).toBe('DENIED_BY_POLICY');
  });

  it('records every relation a statement reads, with its schema', () => {
    const checked = policy.checkReadOnlyStatement(
      'WITH x AS (SELECT * FROM shop.orders) SELECT * FROM x JOIN "shop"."customers" c ON true WHERE EXISTS (SELECT 1 FROM hr.employees)',
      'query',
    );
    expect(checked.relations.map((r) => `${r.schema}.${r.name}`).sort()).toEqual(['hr.employees', 'shop.customers', 'shop.orders']);
    // `x` is the CTE, not a table: it is not reported as a relation
    expect(checked.relations.some((r) => r.name === 'x')).toBe(false);
  });

  it('counts $n parameters', () => {
    expect(policy.checkReadOnlyStatement('SELECT $1::int + $3::int', 'query').paramCount).toBe(3);
  });

  it('pathologically deep statements are refused, not a crash, and the parser keeps working', () => {
    for (const deep of [
      `SELECT ${Array(20_000).fill('1').join('+')}`,
      `SELECT ${'(SELECT '.repeat(2000)}1${')'.repeat(2000)}`,
      `SELECT ${'ARRAY['.repeat(20_000)}1${']'.repeat(20_000)}`,
    ]) {
      expect(POLICY_CODES.has(verdict(deep, 'query'))).toBe(true);
    }
    expect(verdict('SELECT id FROM shop.orders WHERE id = $1', 'query')).toBe('ALLOWED');
  });

  it('caches the verdict by statement text', () => {
    const a = policy.checkReadOnlyStatement('SELECT 42', 'query');
    const b = policy.checkReadOnlyStatement('SELECT 42', 'query');
    expect(b).toBe(a);
  });
});
