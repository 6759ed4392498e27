/**
 * MySQL column security by construction, on the text (no server): every reference to a
 * protected table is replaced by a derived table applying the rules, wherever it is, and
 * what cannot be rebuilt with certainty is refused. The effect on a real MariaDB is
 * judged by test/authorize/column-security-mysql.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ReadProtection } from '../../src/engine/protection.js';
import { withProtectionParams } from '../../src/engine/protection.js';
import { MysqlGuard, type MysqlParser } from '../../src/engines/mysql/guard.js';

const { Parser } = createRequire(import.meta.url)('node-sql-parser/build/mysql.js') as { Parser: new () => MysqlParser };
const guard = new MysqlGuard(new Parser());
const KEY = new Uint8Array(32).fill(7);

const PROTECTION: ReadProtection = {
  resolved: new Map([
    ['employees', 'hr'],
    ['orders', 'shop'],
  ]),
  relations: [
    {
      schema: 'hr',
      name: 'employees',
      columns: [
        { name: 'id', treatment: 'keep' },
        { name: 'email', treatment: 'partial' },
        { name: 'phone', treatment: 'hash' },
        { name: 'salary', treatment: 'null' },
        { name: 'ssn', treatment: 'deny' },
      ],
    },
  ],
};

function run(sql: string, protection = PROTECTION): { sql: string; params: readonly unknown[]; at?: readonly number[] | undefined } {
  return guard.protect(guard.checkRead(sql, 'query'), protection, KEY);
}

const TABLE = /\(SELECT `id`, IF\(LOCATE.* AS `email`, CONCAT\('hmac:'.* AS `phone`, CASE WHEN FALSE THEN `salary` END AS `salary` FROM `hr`\.`employees`\)/;

describe('MySQL protect: protected tables replaced before the statement sees them', () => {
  it('replaces a renamed denied column’s table inside a derived table, so ssn does not exist there', () => {
    const out = run('SELECT x FROM (SELECT ssn AS x FROM employees) s');
    expect(out.sql).toMatch(TABLE);
    expect(out.sql).toContain(') AS `employees`) s');
    expect(out.sql).not.toMatch(/FROM employees/);
  });

  it('keeps the written alias, qualifies other tables and drops db. from db.table.column', () => {
    const out = run('SELECT hr.employees.email, o.id FROM hr.employees JOIN orders o ON o.id = employees.id');
    expect(out.sql.startsWith('SELECT employees.email, o.id FROM (SELECT')).toBe(true);
    expect(out.sql).toContain('JOIN `shop`.orders o ON');
    const aliased = run('SELECT e.id FROM hr.employees AS e');
    expect(aliased.sql).toMatch(/\) AS e$/);
  });

  it('reaches subqueries, CTE bodies, set operations and EXISTS', () => {
    const sql =
      'WITH c AS (SELECT email FROM employees) SELECT email FROM c WHERE EXISTS (SELECT 1 FROM hr.employees WHERE salary > 5) ' +
      'UNION SELECT e.email FROM employees e JOIN orders o ON o.id = e.id';
    const out = run(sql);
    expect(out.sql.match(/FROM `hr`\.`employees`\)/g)?.length).toBe(3);
  });

  it('refuses a protected table inside a parenthesized join: the rebuilt text could not be checked', () => {
    expect(() => run('SELECT e.email FROM (employees e JOIN orders o ON o.id = e.id)')).toThrow(/could not be rebuilt/);
    expect(run('SELECT o.id FROM (orders o JOIN orders p ON o.id = p.id)').sql).toBe('SELECT o.id FROM (`shop`.orders o JOIN `shop`.orders p ON o.id = p.id)');
  });

  it('leaves a CTE named like the protected table alone, and refuses one named in another case', () => {
    expect(run('WITH employees AS (SELECT 1 AS id) SELECT id FROM employees').sql).toBe('WITH employees AS (SELECT 1 AS id) SELECT id FROM employees');
    expect(() => run('WITH Employees AS (SELECT 1 AS id) SELECT id FROM employees')).toThrow(/could not be rebuilt|No table/);
  });

  it('reads a name matching a CTE only in another case as the table it is on MySQL (authorized, not skipped)', () => {
    const checked = guard.checkRead('WITH Salaries AS (SELECT 1 AS id) SELECT * FROM salaries', 'query');
    expect(checked.relations.map((r) => r.name)).toEqual(['salaries']);
    expect(guard.checkRead('WITH salaries AS (SELECT 1 AS id) SELECT * FROM salaries', 'query').relations).toEqual([]);
  });

  it('puts the hash key parameters where the derived table is, among the call’s own ?', () => {
    const out = run('SELECT id FROM orders WHERE id = ? AND customer IN (SELECT phone FROM employees WHERE id = ?)');
    expect(out.at).toEqual([1, 2]);
    const merged = withProtectionParams(['a', 'b'], out as never);
    expect(merged[0]).toBe('a');
    expect(merged[3]).toBe('b');
    expect(merged[1] as string).toMatch(/^[0-9a-f]{128}$/);
    // The key itself never appears in the text.
    expect(out.sql).not.toContain(Buffer.from(KEY).toString('hex'));
    expect(out.sql).not.toContain(merged[1] as string);
  });

  it('runs a statement untouched when no relation it reads has rules (nothing new to pay)', () => {
    const none: ReadProtection = { resolved: PROTECTION.resolved, relations: [] };
    expect(run('SELECT id FROM employees', none)).toEqual({ sql: 'SELECT id FROM employees', params: [] });
  });

  it('keeps the indexes on protected columns out of the plan by name, quoted, after the re-parse check, key slots unchanged', () => {
    const [employees] = PROTECTION.relations;
    const indexed: ReadProtection = { ...PROTECTION, relations: [{ ...employees!, indexes: ['PRIMARY', 'by`ssn'] }] };
    const out = run('SELECT id FROM employees e WHERE id = ? AND phone IS NOT NULL', indexed);
    expect(out.sql).toContain('FROM `hr`.`employees` IGNORE INDEX (`PRIMARY`, `by``ssn`)) e WHERE');
    expect(out.at).toEqual([0, 1]);
    expect(run('SELECT id FROM employees', PROTECTION).sql).not.toContain('IGNORE INDEX');
  });

  it('refuses a table whose every column is denied', () => {
    const all: ReadProtection = { resolved: PROTECTION.resolved, relations: [{ schema: 'hr', name: 'employees', columns: [{ name: 'ssn', treatment: 'deny' }] }] };
    expect(() => run('SELECT 1 FROM employees', all)).toThrow(/Every column/);
  });
});
