/**
 * Writes under column security by construction, on the PostgreSQL family, through the whole
 * MCP pipeline. What a write reads from another table is rebuilt exactly as a read is (a
 * denied column does not exist, a masked one is its mask), so renaming, nesting, whole
 * rows, attribute notation and filters cannot carry a protected value into a table the role
 * can read back: every attack below runs for real, and the stored rows are then read as the
 * role AND as a role without rules. A table with protected columns may be written as long
 * as the write neither sets, reads nor returns them: its RETURNING and the preview a person
 * approves show masked values and no denied column.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const SSN = '987-65-4321';
const EMAIL = 'zed.marker@corp.example';
const SALARY = '987654';
const MASKED_EMAIL = 'z***@corp.example';

/** Planted on employee 3; a table the role may read and write; a function shadowing lower() that reads the denied column. */
const FIXTURE = [
  `UPDATE hr.employees SET email = '${EMAIL}', salary = ${SALARY}, ssn = '${SSN}' WHERE id = 3`,
  'CREATE TABLE public.notes (id int PRIMARY KEY, body text)',
  "INSERT INTO public.notes VALUES (1, 'start')",
  `CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql AS $$ SELECT string_agg(ssn, ',') FROM hr.employees $$`,
];

const RULES = {
  tables: { allow: ['hr.employees', 'public.*'] },
  columns: {
    deny: ['hr.employees.ssn'],
    mask: { 'hr.employees.email': 'partial', 'hr.employees.salary': 'null', 'hr.employees.title': 'hash' },
  },
};
const ROLES = {
  robot: { tools: ['*'], ...RULES, approval: { '*': 'none' } },
  // The same rules, but a person approves each change: the preview is what they read.
  asker: { tools: ['*'], ...RULES },
  // No rules: sees what is stored, and puts public.notes back before each attack.
  keeper: { tools: ['*'], approval: { '*': 'none' } },
};
const robot = { id: 'key:robot', kind: 'api_key' as const, role: 'robot', scopes: [] };
const asker = { id: 'key:asker', kind: 'api_key' as const, role: 'asker', scopes: [] };
const keeper = { id: 'key:keeper', kind: 'api_key' as const, role: 'keeper', scopes: [] };

/** Planted values (and the real title, hashed for the role) found anywhere in `text`. */
function planted(text: string): string[] {
  const found = [SSN, SSN.replace(/-/g, ''), EMAIL, 'zed.marker', SALARY].filter((value) => text.includes(value));
  if (text.includes('Analyst')) found.push('title');
  return found;
}

/**
 * Each tried to store a protected value of employee 3 into public.notes, which the role
 * reads back. By construction each either fails (a denied column does not exist) or stores
 * what the role may see anyway (a masked value).
 */
const ATTACKS: readonly (readonly [string, string])[] = [
  ['a column alias list renames the denied column', 'UPDATE public.notes SET body = (SELECT g::text FROM hr.employees AS e(a, b, c, d, f, s, g) WHERE a = 3) WHERE id = 1'],
  ['a column alias list renames the hashed column', 'UPDATE public.notes SET body = (SELECT d FROM hr.employees AS e(a, b, c, d) WHERE a = 3) WHERE id = 1'],
  ['a subquery renames the denied column', 'UPDATE public.notes SET body = (SELECT x FROM (SELECT ssn AS x FROM hr.employees WHERE id = 3) s) WHERE id = 1'],
  ['a subquery renames the masked column', 'UPDATE public.notes SET body = (SELECT x FROM (SELECT email AS x FROM hr.employees WHERE id = 3) s) WHERE id = 1'],
  ['an aggregate over the denied column', "UPDATE public.notes SET body = (SELECT string_agg(ssn, ',') FROM hr.employees) WHERE id = 1"],
  ['a CTE column list renames the masked column', 'WITH c(a, b) AS (SELECT id, email FROM hr.employees) UPDATE public.notes SET body = (SELECT b FROM c WHERE a = 3) WHERE id = 1'],
  ['UPDATE ... FROM the protected table', 'UPDATE public.notes n SET body = e.email || e.title || coalesce(e.salary::text, \'-\') FROM hr.employees e WHERE e.id = 3 AND n.id = 1'],
  ['INSERT ... SELECT the denied column', 'INSERT INTO public.notes (id, body) SELECT 100 + id, ssn FROM hr.employees WHERE id = 3'],
  ['INSERT ... SELECT without a column list', 'INSERT INTO public.notes SELECT 200 + id, email FROM hr.employees WHERE id = 3'],
  ['INSERT ... SELECT * of a derived table', 'INSERT INTO public.notes SELECT 300, x FROM (SELECT * FROM hr.employees WHERE id = 3) AS s(i, n, m, t, mg, sa, x)'],
  ['attribute notation e.to_jsonb', 'INSERT INTO public.notes (id, body) SELECT 400, e.to_jsonb::text FROM hr.employees e WHERE id = 3'],
  ['the whole-row value as text', 'INSERT INTO public.notes (id, body) SELECT 500, e::text FROM hr.employees e WHERE id = 3'],
  ['row_to_json of the whole row', 'INSERT INTO public.notes (id, body) SELECT 600, row_to_json(e)::text FROM hr.employees e WHERE id = 3'],
  ['ON CONFLICT DO UPDATE from a protected read', 'INSERT INTO public.notes (id, body) SELECT 1, salary::text FROM hr.employees WHERE id = 3 ON CONFLICT (id) DO UPDATE SET body = excluded.body'],
  ['MERGE reading the protected table', 'MERGE INTO public.notes n USING (SELECT id, email, title, ssn FROM hr.employees WHERE id = 3) s ON n.id = 1 WHEN MATCHED THEN UPDATE SET body = s.ssn'],
  ['MERGE reading masked columns', "MERGE INTO public.notes n USING (SELECT id, email, title FROM hr.employees WHERE id = 3) s ON n.id = 1 WHEN MATCHED THEN UPDATE SET body = s.email || ' ' || s.title"],
  ['a user function shadowing lower()', 'UPDATE public.notes SET body = lower(1) WHERE id = 1'],
  ['a cast error quoting the masked value', 'UPDATE public.notes SET body = (SELECT email FROM hr.employees WHERE id = 3)::int::text WHERE id = 1'],
  ['RETURNING a subquery of the protected table', 'UPDATE public.notes SET body = \'r\' WHERE id = 1 RETURNING (SELECT email || title FROM hr.employees WHERE id = 3)'],
];

/** Pairs of writes whose effect would answer a yes/no question about a planted value: both must do the same. */
const ORACLES: readonly (readonly [string, string, string])[] = [
  ['EXISTS on the masked salary', `UPDATE public.notes SET body = 'yes' WHERE id = 1 AND EXISTS (SELECT 1 FROM hr.employees WHERE salary = ${SALARY})`, "UPDATE public.notes SET body = 'yes' WHERE id = 1 AND EXISTS (SELECT 1 FROM hr.employees WHERE salary = 11)"],
  ['IN over the masked email', `DELETE FROM public.notes WHERE id = 1 AND '${EMAIL}' IN (SELECT email FROM hr.employees)`, "DELETE FROM public.notes WHERE id = 1 AND 'nobody@example.com' IN (SELECT email FROM hr.employees)"],
  ['USING with a filter on a renamed salary', `DELETE FROM public.notes n USING (SELECT id, salary AS x FROM hr.employees) e WHERE n.id = 1 AND e.id = 3 AND e.x > ${Number(SALARY) - 1}`, 'DELETE FROM public.notes n USING (SELECT id, salary AS x FROM hr.employees) e WHERE n.id = 1 AND e.id = 3 AND e.x > 1000000000'],
];

/** The target table's own protected columns: each write is refused and hr.employees is unchanged. */
const TARGET_REFUSALS: readonly (readonly [string, string, string?])[] = [
  ['SET of a masked column', "UPDATE hr.employees SET email = 'attacker@example.com' WHERE id = 3"],
  ['SET of a denied column', "UPDATE hr.employees SET ssn = '000-00-0000' WHERE id = 3"],
  ['SET of a masked column in a row assignment', "UPDATE hr.employees SET (name, salary) = ('x', 1) WHERE id = 3"],
  ['a protected column read into an allowed one', 'UPDATE hr.employees SET name = ssn WHERE id = 3'],
  ['a masked column read into an allowed one', 'UPDATE hr.employees SET name = email WHERE id = 3'],
  ['a filter on a masked column of the target', `UPDATE hr.employees SET name = 'found' WHERE id = 3 AND salary = ${SALARY}`],
  ['attribute notation on the target', 'UPDATE hr.employees e SET name = e.to_jsonb::text WHERE id = 3'],
  ['the whole row of the target', 'UPDATE hr.employees e SET name = e::text WHERE id = 3'],
  ['a star of the target', 'UPDATE hr.employees e SET name = row_to_json(ROW(e.*))::text WHERE id = 3'],
  ['INSERT setting a protected column', `INSERT INTO hr.employees (id, name, email, title, salary, ssn, hired_on) VALUES (99, 'n', 'e', 't', 1, 's', '2020-01-01')`],
  ['INSERT without a column list', `INSERT INTO hr.employees VALUES (99, 'n', 'e', 't', NULL, 1, 's', '2020-01-01')`],
  ['RETURNING the denied column', "UPDATE hr.employees SET name = 'x' WHERE id = 3 RETURNING ssn"],
  ['RETURNING a masked column in an expression', "UPDATE hr.employees SET name = 'x' WHERE id = 3 RETURNING upper(email)"],
  ['a schema-qualified star of the target', "UPDATE hr.employees SET name = 'x' WHERE id = 3 AND (hr.employees.*) IS NOT NULL"],
  ['RETURNING * mixing another table with the target', "UPDATE hr.employees e SET name = 'x' FROM public.notes n WHERE e.id = 3 AND n.id = 1 RETURNING *"],
  ['a data-modifying CTE', "WITH d AS (UPDATE hr.employees SET name = 'cte' WHERE id = 3 RETURNING email) UPDATE public.notes SET body = (SELECT email FROM d) WHERE id = 1", 'SQL_NOT_READ_ONLY'],
  ['MERGE into the protected table', "MERGE INTO hr.employees t USING (SELECT 3 AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET name = 'x'"],
];

function text(result: CallToolResult): string {
  return JSON.stringify(result);
}

function writeSuite(label: string, source: () => Record<string, unknown>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let asKeeper: Awaited<ReturnType<typeof openSession>>;
    let asAsker: Awaited<ReturnType<typeof openSession>>;
    beforeAll(async () => {
      bastion = await startBastion({ sources: { main: { ...source(), writes: { enabled: true, schemas: ['public'] } } }, roles: ROLES }, robot);
      asKeeper = await openSession(bastion.ctx, keeper);
      asAsker = await openSession(bastion.ctx, asker);
    }, 60_000);
    afterAll(async () => {
      await asAsker?.close();
      await asKeeper?.close();
      await bastion?.close();
    });

    const execute = (sql: string, dryRun = false): Promise<CallToolResult> => bastion.call('execute', { sql, dry_run: dryRun });
    /** Every stored note, read by the role and by the keeper (no rules): the keeper sees exactly what is stored. */
    const notes = async (): Promise<{ role: unknown[][]; stored: unknown[][] }> => {
      const sql = 'SELECT id, body FROM public.notes ORDER BY id';
      return { role: rowsOf(await bastion.call('query', { sql })), stored: rowsOf(await asKeeper.call('query', { sql })) };
    };
    const employee3 = async (): Promise<unknown[][]> =>
      rowsOf(await asKeeper.call('query', { sql: 'SELECT name, email, title, salary, ssn FROM hr.employees WHERE id = 3' }));

    it('the fixture plants the values (a role without rules sees them)', async () => {
      expect(planted(text(await asKeeper.call('query', { sql: 'SELECT email, salary, ssn, title FROM hr.employees WHERE id = 3' })))).toEqual(
        expect.arrayContaining([SSN, EMAIL, SALARY, 'title']),
      );
    });

    it.each(ATTACKS)('%s: no planted value in the answer, nor stored where the role reads it back', async (_how, sql) => {
      // Each attack starts from the one note the fixture made.
      for (const reset of ['DELETE FROM public.notes WHERE id <> 1', "UPDATE public.notes SET body = 'start' WHERE id = 1"]) {
        expect((await asKeeper.call('execute', { sql: reset, dry_run: false })).isError).toBeFalsy();
      }
      expect((await notes()).stored).toEqual([[1, 'start']]);
      const result = await execute(sql);
      expect(planted(text(result)), text(result)).toEqual([]);
      const { role, stored } = await notes();
      expect(planted(JSON.stringify(role))).toEqual([]);
      expect(planted(JSON.stringify(stored)), JSON.stringify(stored)).toEqual([]);
    });

    it('a masked value read from another table is stored masked, as the role sees it', async () => {
      const result = await execute('UPDATE public.notes SET body = (SELECT email FROM hr.employees WHERE id = 3) WHERE id = 1');
      expect(result.isError, text(result)).toBeFalsy();
      const { stored } = await notes();
      expect(stored.find((row) => row[0] === 1)).toEqual([1, MASKED_EMAIL]);
    });

    it('a denied column of another table does not exist for a write', async () => {
      const before = await notes();
      const result = await execute('UPDATE public.notes SET body = (SELECT ssn FROM hr.employees WHERE id = 3) WHERE id = 1');
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/column \\?"?ssn\\?"? does not exist/);
      expect(await notes()).toEqual(before);
    });

    it.each(ORACLES)('%s: the write does the same whichever the question', async (_how, probe, control) => {
      const a = await execute(probe, true);
      const b = await execute(control, true);
      expect(a.isError, text(a)).toBeFalsy();
      expect(b.isError, text(b)).toBeFalsy();
      expect((a.structuredContent as { affected_rows: number }).affected_rows).toBe((b.structuredContent as { affected_rows: number }).affected_rows);
    });

    it.each(TARGET_REFUSALS.map(([how, sql, code]) => [how, sql, code ?? 'DENIED_BY_POLICY'] as const))('%s: refused, and hr.employees is unchanged', async (_how, sql, code) => {
      const before = await employee3();
      const count = rowsOf(await asKeeper.call('query', { sql: 'SELECT count(*) FROM hr.employees' }));
      const result = await execute(sql);
      expect(errorCode(result), text(result)).toBe(code);
      expect(planted(text(result))).toEqual([]);
      expect(await employee3()).toEqual(before);
      expect(rowsOf(await asKeeper.call('query', { sql: 'SELECT count(*) FROM hr.employees' }))).toEqual(count);
    });

    it('an UPDATE of an allowed column of a table with protected columns changes only that column', async () => {
      const [before] = await employee3();
      const result = await execute("UPDATE hr.employees SET name = 'Renamed 3' WHERE id = 3");
      expect(result.isError, text(result)).toBeFalsy();
      expect((result.structuredContent as { affected_rows: number }).affected_rows).toBe(1);
      expect(await employee3()).toEqual([['Renamed 3', ...(before ?? []).slice(1)]]);
      expect(planted(JSON.stringify(before))).toEqual(expect.arrayContaining([SSN, EMAIL, SALARY]));
    });

    it('RETURNING * of the protected table shows masked values and no denied column', async () => {
      const result = await execute("UPDATE hr.employees SET name = 'Returned 3' WHERE id = 3 RETURNING *");
      expect(result.isError, text(result)).toBeFalsy();
      const sample = (result.structuredContent as { sample: { columns: string[]; rows: unknown[][] } }).sample;
      expect(sample.columns).toEqual(['id', 'name', 'email', 'title', 'manager_id', 'salary', 'hired_on']);
      const row = sample.rows[0] ?? [];
      expect(row[1]).toBe('Returned 3');
      expect(row[2]).toBe(MASKED_EMAIL);
      expect(row[3]).toMatch(/^hmac:[0-9a-f]{16}$/);
      expect(row[5]).toBeNull();
      expect(planted(text(result))).toEqual([]);
      // a masked column named on its own is its mask, under the name it was given
      const named = await execute("UPDATE hr.employees e SET name = 'Returned 3' WHERE id = 3 RETURNING e.id, email AS mail, title");
      const one = (named.structuredContent as { sample: { columns: string[]; rows: unknown[][] } }).sample;
      expect(one.columns).toEqual(['id', 'mail', 'title']);
      expect(one.rows[0]?.slice(0, 2)).toEqual([3, MASKED_EMAIL]);
      expect(planted(text(named))).toEqual([]);
    });

    it('a dry run of the protected table shows masked rows and no denied column, and changes nothing', async () => {
      const before = await employee3();
      const count = rowsOf(await asKeeper.call('query', { sql: 'SELECT count(*) FROM hr.employees' }));
      // employee 40 manages no one: a DELETE of it is not stopped by a foreign key
      for (const [sql, email] of [
        ["UPDATE hr.employees SET name = 'Dry 3' WHERE id = 3", MASKED_EMAIL],
        ['DELETE FROM hr.employees WHERE id = 40', 'e***@example.com'],
        // with another table in FROM / USING, the sample is the target's rows (RETURNING e.*), rebuilt the same way
        ["UPDATE hr.employees e SET name = n.body FROM public.notes n WHERE e.id = 3 AND n.id = 1", MASKED_EMAIL],
        ['DELETE FROM hr.employees e USING public.notes n WHERE e.id = 40 AND n.id = 1', 'e***@example.com'],
      ] as const) {
        const result = await execute(sql, true);
        expect(result.isError, text(result)).toBeFalsy();
        const sample = (result.structuredContent as { sample: { columns: string[]; rows: unknown[][] } }).sample;
        expect(sample.columns, sql).toEqual(['id', 'name', 'email', 'title', 'manager_id', 'salary', 'hired_on']);
        expect(sample.rows[0]?.[2], sql).toBe(email);
        expect(sample.rows[0]?.[5], sql).toBeNull();
        expect(planted(text(result)), sql).toEqual([]);
      }
      expect(await employee3()).toEqual(before);
      expect(rowsOf(await asKeeper.call('query', { sql: 'SELECT count(*) FROM hr.employees' }))).toEqual(count);
    });

    it('the preview a person approves shows before → after with masked values and no denied column', async () => {
      const before = await employee3();
      const result = await asAsker.call('execute', { sql: "UPDATE hr.employees SET name = 'Asked 3' WHERE id = $1", params: [3], dry_run: false });
      expect(result.isError, text(result)).toBeFalsy();
      const view = (result.structuredContent as { dry_run_result?: string } | undefined)?.dry_run_result ?? '';
      expect(view).toContain('Rows before → after the update (first 1 of 1):');
      expect(view).toContain('columns: ["id","name","email","title","manager_id","salary","hired_on"]');
      expect(view).toContain(MASKED_EMAIL);
      expect(view).not.toContain('ssn');
      expect(planted(text(result))).toEqual([]);
      expect(await employee3()).toEqual(before);
    });

    it('a write that touches no protected column of the target works as for an unrestricted role', async () => {
      // unqualified: the target is qualified with the schema it resolves to (the search path is pinned)
      const inserted = await execute("INSERT INTO notes (id, body) VALUES (900, 'plain') RETURNING *");
      expect((inserted.structuredContent as { sample: { rows: unknown[][] } }).sample.rows).toEqual([[900, 'plain']]);
      const updated = await execute("UPDATE notes SET body = 'plainer' WHERE id = 900", true);
      expect((updated.structuredContent as { sample: { rows: unknown[][] } }).sample.rows).toEqual([[900, 'plainer']]);
      const deleted = await execute('DELETE FROM public.notes WHERE id = 900');
      expect((deleted.structuredContent as { affected_rows: number }).affected_rows).toBe(1);
    });
  });
}

describe('writes under column security by construction', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bastion-write-construction-'));
    const db = await PGlite.create({ dataDir: join(dir, 'db') });
    try {
      await db.exec(readFileSync(new URL('../../demo/seed.sql', import.meta.url), 'utf8'));
      await db.exec(FIXTURE.join(';\n'));
    } finally {
      await db.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  writeSuite('on PGlite', () => ({ engine: 'pglite', path: join(dir, 'db') }));
});

describe.skipIf(!postgres.ok)('writes under column security by construction on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  let url = '';
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.admin(FIXTURE.join(';\n'));
    url = db.url;
  });
  afterAll(async () => db?.drop());
  writeSuite('on PostgreSQL', () => ({ engine: 'postgres', url }));
});
