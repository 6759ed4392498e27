/**
 * Row order must not follow an index that includes a protected column, through a plain
 * index scan either (found by an independent attacker): an index on (dept, salary), chosen
 * for `WHERE dept >= 'eng' ORDER BY dept LIMIT 10`, returns the rows of each department in
 * the order of their real salary — the ten lowest paid first, with salary masked. So does
 * one on (name, ssn) with ssn denied, and a view over the table's kept columns. A role with
 * rules plans such a statement without index scans (bitmap scans return rows in physical
 * order), and only such a statement: a protected table without such an index keeps its
 * index scans. On PGlite always, on PostgreSQL when one answers.
 */
import { expect, it } from 'vitest';
import { authorizeRead } from '../../src/authorize/statement.js';
import type { Principal } from '../../src/session/context.js';
import { openSession, rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const SETUP = [
  'CREATE SCHEMA hr_order',
  // Salaries and ssns scrambled against the physical order (i), so their order is a different one.
  `CREATE TABLE hr_order.staff AS SELECT i AS id, 'n' || lpad(((i * 7919) % 20000)::text, 5, '0') AS name,
     (ARRAY['eng', 'ops', 'sales'])[1 + i % 3] AS dept, (i * 104729) % 100003 AS salary,
     pg_catalog.md5(i::text) AS ssn FROM generate_series(1, 20000) AS i`,
  "INSERT INTO hr_order.staff SELECT 20000 + i, 'Zed', 'eng', i, pg_catalog.md5((i * 31)::text) FROM generate_series(1, 40) AS i",
  'CREATE INDEX staff_dept_salary ON hr_order.staff (dept, salary)',
  'CREATE INDEX staff_name_ssn ON hr_order.staff (name, ssn)',
  'ANALYZE hr_order.staff',
  'CREATE VIEW hr_order.staff_names AS SELECT id, name FROM hr_order.staff',
  // The same rows partitioned, the index on a partition only; and an index on an expression of salary.
  'CREATE TABLE hr_order.pay (id int, dept text, salary int) PARTITION BY LIST (dept)',
  "CREATE TABLE hr_order.pay_eng PARTITION OF hr_order.pay FOR VALUES IN ('eng')",
  "CREATE TABLE hr_order.pay_rest PARTITION OF hr_order.pay DEFAULT",
  'INSERT INTO hr_order.pay SELECT id, dept, salary FROM hr_order.staff',
  'CREATE INDEX pay_eng_dept_salary ON hr_order.pay_eng (dept, salary)',
  'ANALYZE hr_order.pay',
  'CREATE TABLE hr_order.bonus AS SELECT id, dept, salary FROM hr_order.staff',
  'CREATE INDEX bonus_dept_expression ON hr_order.bonus (dept, (salary + 0))',
  'ANALYZE hr_order.bonus',
  // Masked too, but indexed only on a column without rules: its index scans stay.
  'CREATE TABLE hr_order.badges AS SELECT i AS id, pg_catalog.md5(i::text) AS pin FROM generate_series(1, 20000) AS i',
  'CREATE INDEX badges_id ON hr_order.badges (id)',
  'ANALYZE hr_order.badges',
];

const ROLES = {
  analyst: {
    tools: ['query', 'explain'],
    tables: { allow: ['hr_order.*'] },
    columns: { deny: ['hr_order.staff.ssn'], mask: { 'hr_order.staff.salary': 'null', 'hr_order.badges.pin': 'hash', 'hr_order.pay.salary': 'null', 'hr_order.bonus.salary': 'null' } },
  },
};
const SCRIBE_ROLE = { ...ROLES.analyst, tools: ['query', 'execute'], approval: { '*': 'none' } };
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };
const SCRIBE: Principal = { id: 'p:scribe', kind: 'api_key', role: 'scribe', scopes: [] };

pgFamilySuites('row order through an index scan on a protected column', { roles: { ...ROLES, scribe: SCRIBE_ROLE } }, ANALYST, SETUP, (env) => {
  const asAdmin = async (sql: string): Promise<unknown[][]> => {
    const admin = await openSession(env().bastion.ctx, ADMIN);
    try {
      return rowsOf(await admin.call('query', { sql }));
    } finally {
      await admin.close();
    }
  };
  const ids = (rows: unknown[][]): number[] => rows.map((row) => Number(row[0]));

  it('ties on dept do not come back in the order of the masked salary', async () => {
    const bySalary = ids(await asAdmin("SELECT id FROM hr_order.staff WHERE dept >= 'eng' ORDER BY dept, salary LIMIT 10"));
    const seen = ids(rowsOf(await env().bastion.call('query', { sql: "SELECT id, name FROM hr_order.staff WHERE dept >= 'eng' ORDER BY dept LIMIT 10" })));
    expect(seen).toHaveLength(10);
    expect(seen).not.toEqual(bySalary);
  });

  it.each(['hr_order.pay', 'hr_order.bonus'])('nor through an index of a partition, or on an expression of the masked column (%s)', async (table) => {
    const bySalary = ids(await asAdmin(`SELECT id FROM ${table} WHERE dept >= 'eng' ORDER BY dept, salary LIMIT 10`));
    const seen = ids(rowsOf(await env().bastion.call('query', { sql: `SELECT id FROM ${table} WHERE dept >= 'eng' ORDER BY dept LIMIT 10` })));
    expect(seen).toHaveLength(10);
    expect(seen).not.toEqual(bySalary);
  });

  it('ties on name do not come back in the order of the denied ssn, read directly or through a view', async () => {
    const bySsn = ids(await asAdmin("SELECT id FROM hr_order.staff WHERE name >= 'Zed' ORDER BY name, ssn LIMIT 5"));
    for (const from of ['hr_order.staff', 'hr_order.staff_names']) {
      const seen = ids(rowsOf(await env().bastion.call('query', { sql: `SELECT id, name FROM ${from} WHERE name >= 'Zed' ORDER BY name LIMIT 5` })));
      expect(seen).toHaveLength(5);
      expect(seen).not.toEqual(bySsn);
    }
  });

  it('a write does not pick the rows it changes in the order of the denied ssn', async () => {
    const bySsn = ids(await asAdmin("SELECT id FROM hr_order.staff WHERE name >= 'Zed' ORDER BY name, ssn LIMIT 5")).sort();
    const scribe = await openSession(env().bastion.ctx, SCRIBE);
    try {
      // A dry run (nothing changes): its sample is the rows the statement changed.
      const sql = "UPDATE hr_order.staff SET name = name WHERE id IN (SELECT id FROM hr_order.staff WHERE name >= 'Zed' ORDER BY name LIMIT 5)";
      const sample = ((await scribe.call('execute', { sql })).structuredContent as { sample?: { rows: unknown[][] } }).sample;
      const changed = ids(sample?.rows ?? []).sort();
      expect(changed).toHaveLength(5);
      expect(changed).not.toEqual(bySsn);
    } finally {
      await scribe.close();
    }
  });

  it('a protected table indexed only on columns without rules keeps its index scans', async () => {
    // The role gets no plan of a protected table (explain is refused), so the decision is read where it is made.
    const { ctx } = env().bastion;
    const entry = ctx.sources.get('main');
    const role = ctx.roles.get(ANALYST.role);
    if (entry === undefined || role === undefined) throw new Error('no source or role');
    const decide = async (sql: string): Promise<boolean> =>
      (await authorizeRead(role, entry.guard.checkRead(sql, 'query'), entry.catalog, { byConstruction: true })).protection.indexedProtected === true;
    expect(await decide('SELECT id, pin FROM hr_order.badges WHERE id < 100 ORDER BY id LIMIT 5')).toBe(false);
    expect(await decide("SELECT id, name FROM hr_order.staff WHERE dept >= 'eng' ORDER BY dept LIMIT 10")).toBe(true);
  });
});
