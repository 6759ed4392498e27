/**
 * Column security by construction on the PostgreSQL family: for a role with rules, every
 * reference to a protected table is replaced before the statement runs by a relation that
 * omits denied columns and computes masked ones, and names are pinned to built-ins. Each
 * attack below returned a protected value before; the check is by effect: the planted
 * values appear in no answer and no error, and a yes/no question about them gets the same
 * answer whatever the question. The benign side: what the role may see works as before.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const SSN = '987-65-4321';
const EMAIL = 'zed.marker@corp.example';
const SALARY = '987654';
const TOKEN = 'TOKEN-7f3a9c2e';

/** Planted on employee 3, plus objects a user could create to run code under another name. */
const FIXTURE = [
  `UPDATE hr.employees SET email = '${EMAIL}', salary = ${SALARY}, ssn = '${SSN}' WHERE id = 3`,
  `CREATE TABLE hr.secrets (id int PRIMARY KEY, token text NOT NULL)`,
  `INSERT INTO hr.secrets VALUES (1, '${TOKEN}')`,
  // Both read the denied data as the connection's user when called.
  `CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql AS $$ SELECT string_agg(ssn || ' ' || token, ',') FROM hr.employees, hr.secrets $$`,
  `CREATE FUNCTION public.leak(integer, integer) RETURNS text LANGUAGE sql AS $$ SELECT string_agg(ssn || ' ' || token, ',') FROM hr.employees, hr.secrets $$`,
  `CREATE OPERATOR public.<<~>> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.leak)`,
  // A function the configuration allows by its qualified name.
  `CREATE FUNCTION public.twice(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 * 2 $$`,
];

const ROLES = {
  analyst: {
    tools: ['query', 'explain'],
    tables: { allow: ['hr.employees', 'shop.*'] },
    columns: {
      deny: ['hr.employees.ssn'],
      mask: { 'hr.employees.email': 'partial', 'hr.employees.salary': 'null', 'hr.employees.title': 'hash' },
    },
  },
};
const analyst = { id: 'p:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };

/** The whole answer or error as the client sees it, searched for the planted values. */
function leaked(result: CallToolResult): string[] {
  const text = JSON.stringify(result);
  const found = [SSN, SSN.replace(/-/g, ''), EMAIL, 'zed.marker', SALARY, TOKEN].filter((value) => text.includes(value));
  // The real titles of employees (hashed for this role).
  if (/"(Engineer|Designer|Manager|Analyst|Support)"/.test(text)) found.push('title');
  return found;
}

/** Each returned a planted value (or answered a question about one) under name-based checks. */
const ATTACKS: readonly (readonly [string, string])[] = [
  ['a column alias list renames the denied column', 'SELECT g FROM hr.employees AS e(a, b, c, d, f, s, g) WHERE a = 3'],
  ['a column alias list one longer than the visible columns', 'SELECT h FROM hr.employees AS e(a, b, c, d, f, s, g, h)'],
  ['a scalar subquery reads the masked column', 'SELECT (SELECT e.email) FROM hr.employees e WHERE id = 3'],
  ['an aggregate over a renamed masked column', 'SELECT max(x) FROM (SELECT salary AS x FROM hr.employees) s'],
  ['string_agg over a renamed masked column', "SELECT string_agg(m, ',') FROM (SELECT email AS m FROM hr.employees) s"],
  ['a CTE column list renames it', 'WITH c(a, b) AS (SELECT id, email FROM hr.employees) SELECT b FROM c WHERE a = 3'],
  ['LATERAL passes it on', 'SELECT l.x FROM shop.customers c, LATERAL (SELECT email AS x FROM hr.employees WHERE id = 3) l LIMIT 1'],
  ['ARRAY() collects it', 'SELECT ARRAY(SELECT email FROM hr.employees)'],
  ['ARRAY() collects the denied column', 'SELECT ARRAY(SELECT ssn FROM hr.employees)'],
  ['attribute notation e.to_jsonb', 'SELECT e.to_jsonb FROM hr.employees e WHERE id = 3'],
  ['attribute notation e.row_to_json', 'SELECT e.row_to_json FROM hr.employees e WHERE id = 3'],
  ['to_jsonb of the whole row', 'SELECT to_jsonb(e) FROM hr.employees e WHERE id = 3'],
  ['the whole-row value', 'SELECT e FROM hr.employees e WHERE id = 3'],
  ['the row as text', 'SELECT e::text FROM hr.employees e WHERE id = 3'],
  ['ROW(e.*)', 'SELECT ROW(e.*) FROM hr.employees e WHERE id = 3'],
  ['SELECT *', 'SELECT * FROM hr.employees WHERE id = 3'],
  ['TABLE', 'TABLE hr.employees'],
  ['a star in a CTE', 'WITH x AS (SELECT * FROM hr.employees) SELECT * FROM x WHERE id = 3'],
  ['a star through a nested CTE', 'SELECT * FROM (WITH y AS (SELECT * FROM hr.employees) SELECT * FROM y) z WHERE id = 3'],
  ['a UNION of the masked column', "SELECT email FROM hr.employees UNION SELECT 'x'"],
  ['the denied column in a UNION branch', "SELECT name FROM shop.customers UNION ALL SELECT ssn FROM hr.employees"],
  ['the denied column by name', 'SELECT ssn FROM hr.employees'],
  ['the denied column in EXISTS', "SELECT count(*) FROM shop.customers WHERE EXISTS (SELECT 1 FROM hr.employees WHERE ssn LIKE '9%')"],
  ['JOIN USING the denied column', 'SELECT count(*) FROM hr.employees a JOIN hr.employees b USING (ssn)'],
  ['a cast error quoting the masked value', 'SELECT (SELECT email FROM hr.employees WHERE id = 3)::int'],
  ['a cast error quoting the denied value', 'SELECT (SELECT ssn FROM hr.employees WHERE id = 3)::int'],
  ['a cast error through a renamed column', 'SELECT x::int FROM (SELECT email AS x FROM hr.employees WHERE id = 3) s'],
  ['a JSON error quoting the value', "SELECT (SELECT email FROM hr.employees WHERE id = 3)::jsonb"],
  ['TABLESAMPLE on the protected table', 'SELECT * FROM hr.employees TABLESAMPLE SYSTEM (100) WHERE id = 3'],
  ['ONLY on the protected table', 'SELECT * FROM ONLY hr.employees WHERE id = 3'],
  ['a user function shadowing lower()', 'SELECT lower(1)'],
  ['a user function shadowing lower() over the table', 'SELECT lower(id) FROM hr.employees WHERE id = 3'],
  ['a user operator', 'SELECT 1 <<~>> 2'],
];

/** Pairs of statements that would answer a yes/no question about a planted value: both answers must be the same. */
const ORACLES: readonly (readonly [string, string, string])[] = [
  ['IN (SELECT salary)', `SELECT ${SALARY} IN (SELECT salary FROM hr.employees)`, 'SELECT 11 IN (SELECT salary FROM hr.employees)'],
  ['= ANY (SELECT salary)', `SELECT ${SALARY} = ANY (SELECT salary FROM hr.employees)`, 'SELECT 11 = ANY (SELECT salary FROM hr.employees)'],
  ['a compared scalar subquery', `SELECT (SELECT salary FROM hr.employees WHERE id = 3) > ${Number(SALARY) - 1}`, `SELECT (SELECT salary FROM hr.employees WHERE id = 3) > ${Number(SALARY) + 1}`],
  ['a filter on a renamed column', `SELECT count(*) FROM (SELECT salary AS x FROM hr.employees) s WHERE x > ${Number(SALARY) - 1}`, 'SELECT count(*) FROM (SELECT salary AS x FROM hr.employees) s WHERE x > 0'],
  ['a filter on the masked column', "SELECT count(*) FROM hr.employees WHERE email LIKE 'zed%'", "SELECT count(*) FROM hr.employees WHERE email LIKE 'qqq%'"],
  ['a LIMIT computed from a salary', `SELECT id FROM hr.employees ORDER BY id LIMIT (SELECT CASE WHEN salary > ${Number(SALARY) - 1} THEN 1 ELSE 2 END FROM hr.employees WHERE id = 3)`, 'SELECT id FROM hr.employees ORDER BY id LIMIT 2'],
  ['ORDER BY the masked column', 'SELECT id FROM hr.employees ORDER BY salary DESC NULLS LAST, id LIMIT 1', 'SELECT id FROM hr.employees ORDER BY id LIMIT 1'],
  ['ORDER BY 2', 'SELECT id, salary FROM hr.employees ORDER BY 2 DESC NULLS LAST, 1 LIMIT 1', 'SELECT id, salary FROM hr.employees ORDER BY 1 LIMIT 1'],
  ['ORDER BY an output alias', 'SELECT id, salary AS pay FROM hr.employees ORDER BY pay DESC NULLS LAST, id LIMIT 1', 'SELECT id, salary AS pay FROM hr.employees ORDER BY id LIMIT 1'],
  ['ORDER BY (SELECT e.salary)', 'SELECT e.id FROM hr.employees e ORDER BY (SELECT e.salary) DESC NULLS LAST, e.id LIMIT 1', 'SELECT e.id FROM hr.employees e ORDER BY e.id LIMIT 1'],
  ['a LATERAL column sort', 'SELECT e.id FROM hr.employees e, LATERAL (SELECT e.salary AS s) l ORDER BY l.s DESC NULLS LAST, e.id LIMIT 1', 'SELECT e.id FROM hr.employees e ORDER BY e.id LIMIT 1'],
  ['a window ranking by the masked column', 'SELECT id FROM (SELECT id, rank() OVER (ORDER BY salary DESC NULLS LAST) AS r FROM hr.employees) s WHERE r = 1 ORDER BY id LIMIT 1', 'SELECT id FROM hr.employees ORDER BY id LIMIT 1'],
  ['division by zero keyed on a value', `SELECT count(*) FROM hr.employees WHERE 1 / (CASE WHEN salary = ${SALARY} THEN 0 ELSE 1 END) = 1`, 'SELECT count(*) FROM hr.employees WHERE 1 / 1 = 1'],
];

/** `source(who)`: the source config for the restricted role's server and for an unrestricted one. */
function constructionSuite(label: string, source: (who: 'analyst' | 'admin') => Record<string, unknown>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let admin: TestBastion;
    beforeAll(async () => {
      bastion = await startBastion({ sources: { main: source('analyst') }, roles: ROLES, sql: { allow_functions: ['public.twice'] } }, analyst);
      admin = await startBastion({ sources: { main: source('admin') } });
    });
    afterAll(async () => {
      await bastion.close();
      await admin.close();
    });

    it('the fixture plants the values (an unrestricted role sees them)', async () => {
      const result = await admin.call('query', { sql: 'SELECT email, salary, ssn FROM hr.employees WHERE id = 3' });
      expect(leaked(result)).toEqual(expect.arrayContaining([SSN, EMAIL, SALARY]));
    });

    it.each(ATTACKS)('%s: no planted value in the answer or the error', async (_how, sql) => {
      const result = await bastion.call('query', { sql });
      expect(leaked(result), JSON.stringify(result)).toEqual([]);
    });

    it.each(ORACLES)('%s: the yes/no question gets the same answer either way', async (_how, probe, control) => {
      const a = await bastion.call('query', { sql: probe });
      const b = await bastion.call('query', { sql: control });
      expect(leaked(a)).toEqual([]);
      expect(a.isError, JSON.stringify(a)).toBeFalsy();
      expect(rowsOf(a)).toEqual(rowsOf(b));
    });

    it('a denied column does not exist for the role', async () => {
      const result = await bastion.call('query', { sql: 'SELECT ssn FROM hr.employees' });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).toMatch(/column \\?"?ssn\\?"? does not exist/);
      const star = await bastion.call('query', { sql: 'SELECT * FROM hr.employees WHERE id = 3' });
      const columns = (star.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name);
      expect(columns).toEqual(['id', 'name', 'email', 'title', 'manager_id', 'salary', 'hired_on']);
    });

    it('the whole row carries masked values only', async () => {
      const rows = rowsOf(await bastion.call('query', { sql: 'SELECT to_jsonb(e) FROM hr.employees e WHERE id = 3' }));
      const row = rows[0]?.[0] as Record<string, unknown>;
      expect(row['email']).toBe('z***@corp.example');
      expect(row['salary']).toBeNull();
      expect(row['title']).toMatch(/^hmac:[0-9a-f]{16}$/);
      expect(row).not.toHaveProperty('ssn');
    });

    it('a cast error can only be about the masked value, never the real one', async () => {
      const result = await bastion.call('query', { sql: 'SELECT (SELECT email FROM hr.employees WHERE id = 3)::int' });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).toMatch(/invalid input syntax for type integer/);
      expect(leaked(result)).toEqual([]);
    });

    it('the shadowing function and the user operator are never called', async () => {
      for (const sql of ['SELECT lower(1)', 'SELECT 1 <<~>> 2']) {
        const result = await bastion.call('query', { sql });
        expect(result.isError, sql).toBe(true);
        expect(JSON.stringify(result)).toMatch(/does not exist/);
      }
    });

    it('a function the configuration allows by its qualified name still runs with names pinned', async () => {
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT public.twice(id) FROM hr.employees WHERE id = 21' }))).toEqual([[42]]);
    });

    it('masked columns can be selected, filtered, grouped and joined on, as their masked values', async () => {
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT email FROM hr.employees WHERE id = 3' }))).toEqual([['z***@corp.example']]);
      expect(rowsOf(await bastion.call('query', { sql: "SELECT count(*) FROM hr.employees WHERE email LIKE '%@corp.example'" }))).toEqual([[1]]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT count(DISTINCT email) FROM hr.employees' }))).toEqual([[2]]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT email, count(*) FROM hr.employees GROUP BY 1 ORDER BY 2' }))).toEqual([
        ['z***@corp.example', 1],
        ['e***@example.com', 39],
      ]);
      const titles = rowsOf(await bastion.call('query', { sql: 'SELECT title, count(*) FROM hr.employees GROUP BY title ORDER BY 2 DESC, 1' }));
      expect(titles).toHaveLength(5);
      expect(titles.every(([title]) => typeof title === 'string' && /^hmac:[0-9a-f]{16}$/.test(title))).toBe(true);
      const joined = await bastion.call('query', { sql: 'SELECT count(*) FROM hr.employees a JOIN hr.employees b ON a.title = b.title AND a.id < b.id' });
      expect(rowsOf(joined)).toEqual([[(8 * 7) / 2 * 5]]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT sum(salary), max(upper(email)) FROM hr.employees' }))).toEqual([[null, 'Z***@CORP.EXAMPLE']]);
    });

    it('the hash mask is stable within the process', async () => {
      const sql = 'SELECT title FROM hr.employees WHERE id = 2';
      expect(rowsOf(await bastion.call('query', { sql }))).toEqual(rowsOf(await bastion.call('query', { sql })));
    });

    it('UNION on allowed columns works', async () => {
      const result = await bastion.call('query', { sql: "SELECT name FROM hr.employees WHERE id = 3 UNION SELECT 'x' ORDER BY 1" });
      expect(rowsOf(result)).toEqual([['Employee 3'], ['x']]);
    });

    it.each([
      'SELECT * FROM shop.orders ORDER BY id LIMIT 5',
      'SELECT c.country, count(*) FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3',
      'SELECT id, name, hired_on FROM hr.employees ORDER BY id LIMIT 3',
      'WITH t AS (SELECT id, manager_id FROM hr.employees) SELECT count(*) FROM t a JOIN t b ON a.manager_id = b.id',
    ])('what the role may see is answered as an unrestricted role sees it: %s', async (sql) => {
      expect(rowsOf(await bastion.call('query', { sql }))).toEqual(rowsOf(await admin.call('query', { sql })));
    });

    it('explain of a statement reading a protected table gives no plan (its indexes and estimates), one without rules works', async () => {
      const result = await bastion.call('explain', { sql: 'EXPLAIN (VERBOSE) SELECT title, email FROM hr.employees WHERE id = 3' });
      expect(result.isError, JSON.stringify(result)).toBe(true);
      expect(leaked(result)).toEqual([]);
      const plain = await bastion.call('explain', { sql: 'EXPLAIN SELECT id FROM shop.orders WHERE id = 3' });
      expect(plain.isError, JSON.stringify(plain)).toBeFalsy();
    });
  });
}

describe('column security by construction', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bastion-construction-'));
    const db = await PGlite.create({ dataDir: join(dir, 'analyst') });
    try {
      await db.exec(readFileSync(new URL('../../demo/seed.sql', import.meta.url), 'utf8'));
      await db.exec(FIXTURE.join(';\n'));
    } finally {
      await db.close();
    }
    // One engine per data directory: the unrestricted server reads a copy.
    cpSync(join(dir, 'analyst'), join(dir, 'admin'), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  constructionSuite('on PGlite', (who) => ({ engine: 'pglite', path: join(dir, who) }));
});

describe.skipIf(!postgres.ok)('column security by construction on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.admin(FIXTURE.join(';\n'));
  });
  afterAll(async () => db.drop());
  constructionSuite('on PostgreSQL', () => ({ engine: 'postgres', url: db.url }));
});
