/**
 * Column masking per role: a masked column comes back masked however it is
 * selected, and wherever it is used — expression, filter, join, ordering, set
 * operation — it is its masked value, so the real value cannot shape the answer.
 * The check is always that the real values never appear in the answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const ROLES = {
  support: {
    tools: ['query'],
    tables: { allow: ['hr.employees', 'shop.*'] },
    columns: { mask: { 'hr.employees.email': 'partial', 'hr.employees.ssn': 'hash', 'hr.employees.salary': 'null' } },
  },
};
const principal = { id: 'p:support', kind: 'api_key' as const, role: 'support', scopes: [] };
const REAL_EMAIL = 'employee1@example.com';
const SSN = /\d{3}-\d{2}-\d{4}/;

function leaks(result: CallToolResult): boolean {
  const text = JSON.stringify(result);
  return text.includes(REAL_EMAIL) || SSN.test(text) || /\b4\d{4}\.00\b/.test(text);
}

function maskingSuite(label: string, source: () => Record<string, unknown>): void {
  describe(label, () => {
    let bastion: TestBastion;
    beforeAll(async () => {
      bastion = await startBastion({ sources: { main: source() }, roles: ROLES }, principal);
    });
    afterAll(async () => bastion.close());

    it.each([
      ['by name', 'SELECT email, ssn, salary FROM hr.employees WHERE id = 1'],
      ['aliased', 'SELECT e.email AS contact, e.ssn AS id_number, e.salary AS pay FROM hr.employees e WHERE e.id = 1'],
      ['through SELECT *', 'SELECT * FROM hr.employees WHERE id = 1'],
      ['through a subquery', 'SELECT s.contact, s.id_number, s.pay FROM (SELECT email AS contact, ssn AS id_number, salary AS pay FROM hr.employees WHERE id = 1) s'],
      ['through a CTE', 'WITH c AS (SELECT * FROM hr.employees WHERE id = 1) SELECT * FROM c'],
    ])('a masked column comes back masked when selected %s', async (_how, sql) => {
      const result = await bastion.call('query', { sql });
      expect(result.isError, JSON.stringify(result)).toBeFalsy();
      expect(leaks(result)).toBe(false);
      const text = JSON.stringify(rowsOf(result));
      expect(text).toContain('e***@example.com');
      expect(text).toMatch(/hmac:[0-9a-f]{16}/);
    });

    it('unmasked columns of the same table come back as they are', async () => {
      const result = await bastion.call('query', { sql: 'SELECT name, email FROM hr.employees WHERE id = 1' });
      expect(rowsOf(result)).toEqual([['Employee 1', 'e***@example.com']]);
    });

    it('the hash mask is stable, so equal values can still be compared', async () => {
      const a = rowsOf(await bastion.call('query', { sql: 'SELECT ssn FROM hr.employees WHERE id = 2' }));
      const b = rowsOf(await bastion.call('query', { sql: 'SELECT ssn FROM hr.employees WHERE id = 2' }));
      expect(a).toEqual(b);
    });

    // Under name-based checks these were refused; the mask now applies before the statement
    // sees the table, so each works on the masked value and the real one never comes back.
    it.each([
      ['in an expression', 'SELECT upper(email) FROM hr.employees'],
      ['in a string concatenation', "SELECT 'x' || ssn FROM hr.employees"],
      ['in a filter (inference)', "SELECT count(*) FROM hr.employees WHERE ssn LIKE '1%'"],
      ['in ORDER BY (inference)', 'SELECT name FROM hr.employees ORDER BY salary DESC LIMIT 1'],
      ['in an aggregate', 'SELECT max(salary) FROM hr.employees'],
      ['in GROUP BY', 'SELECT email, count(*) FROM hr.employees GROUP BY email'],
      ['in a join condition', 'SELECT a.name FROM hr.employees a JOIN hr.employees b ON a.ssn = b.ssn'],
      ['through a UNION', "SELECT email FROM hr.employees UNION SELECT 'x'"],
      ['as a whole-row value', 'SELECT e FROM hr.employees e'],
      ['inside to_jsonb of the row', 'SELECT to_jsonb(e.*) FROM hr.employees e'],
      ['cast to text', 'SELECT salary::text FROM hr.employees'],
    ])('a masked column used %s works on its masked value only', async (_how, sql) => {
      const result = await bastion.call('query', { sql });
      expect(result.isError, JSON.stringify(result)).toBeFalsy();
      expect(leaks(result)).toBe(false);
    });

    it('a filter or an aggregate on a masked column sees the mask, so it answers nothing about the real value', async () => {
      expect(rowsOf(await bastion.call('query', { sql: "SELECT count(*) FROM hr.employees WHERE ssn LIKE '1%'" }))).toEqual([[0]]);
      expect(rowsOf(await bastion.call('query', { sql: "SELECT count(*) FROM hr.employees WHERE ssn LIKE 'hmac:%'" }))).toEqual([[40]]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT max(salary), count(DISTINCT email) FROM hr.employees' }))).toEqual([[null, 1]]);
    });
  });
}

maskingSuite('masking on PGlite', () => ({ engine: 'pglite' }));

describe.skipIf(!postgres.ok)('masking on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());
  maskingSuite('masking on PostgreSQL', () => ({ engine: 'postgres', url: db.url }));
});
