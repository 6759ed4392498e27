/**
 * Denial follows data through views: a view (or materialized view) in an allowed
 * schema whose definition reads a denied table, or a denied or masked column, is as
 * invisible to the role as a denied table, in queries, listings and descriptions,
 * unless a rule names it exactly. And a data error (a bad cast) never quotes a value
 * to a role with rules. Each attack is judged by effect: the planted values never
 * appear in any answer or error. On PGlite always, on PostgreSQL when one answers.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const SECRET = 'sk_test_demo_not_a_real_key_0001';
const REAL_EMAIL = 'employee3@example.com';
const SSN = /\d{3}-\d{2}-\d{4}/;

const VIEWS = [
  'CREATE SCHEMA reports',
  // Over a denied table: directly, by count only, through another view, materialized.
  'CREATE VIEW reports.keys AS SELECT service, api_key FROM hr.api_credentials',
  'CREATE VIEW reports.key_count AS SELECT count(*) AS n FROM hr.api_credentials',
  'CREATE VIEW reports.keys_again AS SELECT * FROM reports.keys',
  'CREATE MATERIALIZED VIEW reports.keys_m AS SELECT service, api_key FROM hr.api_credentials',
  // Over a masked column, a denied column used only in a filter, whole rows.
  'CREATE VIEW reports.contacts AS SELECT id, name, email FROM hr.employees',
  "CREATE VIEW reports.by_ssn AS SELECT name FROM hr.employees WHERE ssn LIKE '0%'",
  'CREATE VIEW reports.whole AS SELECT to_jsonb(e) AS r FROM hr.employees e',
  'CREATE VIEW reports.scalar AS SELECT (SELECT max(email) FROM hr.employees) AS m',
  // Through a function of its own: its body records no dependency, so the view is not readable.
  'CREATE FUNCTION public.leak() RETURNS text LANGUAGE sql AS $$ SELECT api_key FROM hr.api_credentials ORDER BY id LIMIT 1 $$',
  'CREATE VIEW reports.via_function AS SELECT public.leak() AS k',
  'CREATE VIEW reports.from_function AS SELECT * FROM public.leak() AS k',
  'CREATE FUNCTION public.peek(int, int) RETURNS text LANGUAGE sql AS $$ SELECT api_key FROM hr.api_credentials WHERE id = $1 $$',
  'CREATE OPERATOR public.<<~>> (LEFTARG = int, RIGHTARG = int, FUNCTION = public.peek)',
  'CREATE VIEW reports.via_operator AS SELECT 1 OPERATOR(public.<<~>>) 1 AS k',
  // Catalog relations: column statistics (values of hr.employees included), and a catalog the role may not read.
  'CREATE VIEW reports.stats AS SELECT starelid, staattnum, stavalues1::text AS v FROM pg_catalog.pg_statistic',
  'CREATE VIEW reports.relations AS SELECT relname FROM pg_catalog.pg_class',
  // A built-in that runs SQL given as a string: no statement may call it, nor may a view.
  "CREATE VIEW reports.via_string AS SELECT * FROM ts_stat('SELECT to_tsvector(''simple'', api_key) FROM hr.api_credentials')",
  // Other shapes of reading the same data: a CTE, a UNION, EXISTS, LATERAL, a whole row.
  'CREATE VIEW reports.cte AS WITH c AS (SELECT api_key FROM hr.api_credentials) SELECT * FROM c',
  "CREATE VIEW reports.unioned AS SELECT 'x'::text AS v UNION ALL SELECT api_key FROM hr.api_credentials",
  'CREATE VIEW reports.by_exists AS SELECT name FROM hr.employees e WHERE EXISTS (SELECT 1 FROM hr.api_credentials c WHERE c.id = e.id)',
  'CREATE VIEW reports.lateral AS SELECT e.name, x.s FROM hr.employees e, LATERAL (SELECT e.ssn AS s) x',
  'CREATE VIEW reports.row_value AS SELECT e AS r FROM hr.employees e',
  // Over allowed data only.
  'CREATE VIEW reports.names AS SELECT id, name, title FROM hr.employees',
  'CREATE VIEW reports.headcount AS SELECT count(*) AS n FROM hr.employees',
  'CREATE VIEW reports.names_m AS SELECT id, name FROM reports.names',
  "CREATE VIEW reports.titles AS WITH t AS (SELECT title, upper(name) AS n FROM hr.employees WHERE name <> '') SELECT title, count(*) AS c FROM t GROUP BY title",
  // Named by a rule: the configuration's explicit choice.
  'CREATE VIEW reports.blessed AS SELECT service, api_key FROM hr.api_credentials',
  'CREATE VIEW reports.on_blessed AS SELECT service FROM reports.blessed',
  // Named by a rule, over protected columns: read through the role's rules (masks kept, denied columns absent).
  'CREATE VIEW reports.named_contacts AS SELECT id, name, email FROM hr.employees',
  "CREATE VIEW reports.named_by_ssn AS SELECT name FROM hr.employees WHERE ssn LIKE '0%'",
  'CREATE VIEW reports.named_nested AS SELECT c.email, k.service FROM reports.contacts c CROSS JOIN reports.keys k',
  // Over a named view, not named itself: plain and materialized (attacker's case).
  'CREATE VIEW reports.over_named AS SELECT * FROM reports.named_contacts',
  'CREATE MATERIALIZED VIEW reports.over_named_m AS SELECT * FROM reports.named_contacts',
  // A schema whose only relation is a view over denied data.
  'CREATE SCHEMA hidden_views',
  'CREATE VIEW hidden_views.k AS SELECT api_key FROM hr.api_credentials',
];

const ROLES = {
  analyst: {
    tools: ['list_*', 'describe_table', 'query'],
    tables: {
      allow: ['shop.*', 'hr.*', 'reports.*', 'reports.blessed', 'reports.named_contacts', 'reports.named_by_ssn', 'reports.named_nested', 'hidden_views.*'],
      deny: ['hr.api_credentials'],
    },
    columns: { deny: ['hr.employees.ssn'], mask: { 'hr.employees.email': 'partial' } },
  },
};
/** The analyst's rules with execute: writes through a view must see no more than reads. */
const SCRIBE_ROLE = { ...ROLES.analyst, tools: ['query', 'execute'], approval: { '*': 'none' } };
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const SCRIBE: Principal = { id: 'p:scribe', kind: 'api_key', role: 'scribe', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };

const DENIED_VIEWS = [
  ...['keys', 'key_count', 'keys_again', 'keys_m', 'contacts', 'by_ssn', 'whole', 'scalar', 'via_function', 'from_function', 'via_operator', 'via_string', 'stats', 'relations'],
  ...['cte', 'unioned', 'by_exists', 'lateral', 'row_value', 'over_named', 'over_named_m'],
];

function leaks(result: CallToolResult): boolean {
  const text = JSON.stringify(result);
  return text.includes(SECRET) || text.includes(REAL_EMAIL) || SSN.test(text);
}

function messageOf(result: CallToolResult): string {
  const first = result.content[0];
  return first !== undefined && first.type === 'text' ? first.text : '';
}

/** Another session on the same server (and so the same database), as someone else. */
const sessionAs = (bastion: TestBastion, principal: Principal): ReturnType<typeof openSession> => openSession(bastion.ctx, principal);

/** Which suites run with writes enabled on their source (execute listed for the scribe). */
const writesOn = new Map<string, boolean>();

function viewsSuite(label: string, setup: () => Promise<{ source: Record<string, unknown>; admin: (sql: string) => Promise<void>; cleanup: () => Promise<void> }>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const s = await setup();
      cleanup = s.cleanup;
      writesOn.set(label, (s.source['writes'] as { enabled?: boolean } | undefined)?.enabled === true);
      bastion = await startBastion({ sources: { main: s.source }, roles: { ...ROLES, scribe: SCRIBE_ROLE } }, ANALYST);
      const admin = s.admin === noAdmin ? pgliteAdmin(bastion) : s.admin;
      for (const sql of VIEWS) await admin(sql);
    }, 60_000);
    afterAll(async () => {
      await bastion.close();
      await cleanup();
    });

    it.each(DENIED_VIEWS)('a view over denied or protected data (reports.%s) returns nothing and is reported like a denied table', async (view) => {
      for (const sql of [`SELECT * FROM reports.${view}`, `SELECT count(*) FROM reports.${view}`, `SELECT 1 FROM shop.customers WHERE EXISTS (SELECT 1 FROM reports.${view})`]) {
        const result = await bastion.call('query', { sql });
        expect(errorCode(result), sql).toBe('TABLE_NOT_FOUND');
        expect(leaks(result), sql).toBe(false);
      }
      const denied = messageOf(await bastion.call('query', { sql: 'SELECT * FROM hr.api_credentials' }));
      const viaView = messageOf(await bastion.call('query', { sql: `SELECT * FROM reports.${view}` }));
      expect(viaView.replace(`reports.${view}`, 'X').replace(/\(correlation id: [^)]*\)/, '')).toBe(denied.replace('hr.api_credentials', 'X').replace(/\(correlation id: [^)]*\)/, ''));
    });

    it('a write through a view over denied data is refused like a denied table: no RETURNING, no preview, nothing changed', async () => {
      if ((writesOn.get(label) ?? false) === false) return;
      const scribe = await sessionAs(bastion, SCRIBE);
      try {
        for (const sql of ["UPDATE reports.keys SET service = service WHERE service = 'payments' RETURNING api_key", "DELETE FROM reports.keys WHERE service = 'nothing' RETURNING *"]) {
          for (const dry_run of [true, false]) {
            const result = await scribe.call('execute', { sql, dry_run });
            expect(errorCode(result), sql).toBe('TABLE_NOT_FOUND');
            expect(leaks(result), sql).toBe(false);
          }
        }
        const admin = await sessionAs(bastion, ADMIN);
        try {
          expect(rowsOf(await admin.call('query', { sql: "SELECT api_key FROM reports.keys WHERE service = 'payments'" }))).toEqual([[SECRET]]);
        } finally {
          await admin.close();
        }
      } finally {
        await scribe.close();
      }
    });

    it('a view over denied data is left out of list_tables and describe_table, like a denied table', async () => {
      const listed = await bastion.call('list_tables', { schema: 'reports' });
      const names = (listed.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name).sort();
      expect(names).toEqual(['blessed', 'headcount', 'named_by_ssn', 'named_contacts', 'named_nested', 'names', 'names_m', 'titles']);
      for (const view of DENIED_VIEWS) {
        const described = await bastion.call('describe_table', { table: `reports.${view}` });
        expect(errorCode(described), view).toBe('TABLE_NOT_FOUND');
        expect(leaks(described)).toBe(false);
      }
      expect(errorCode(await bastion.call('describe_table', { table: 'reports.names' }))).toBeUndefined();
    });

    it('a schema whose only relations are views over denied data is left out of list_schemas', async () => {
      const listed = await bastion.call('list_schemas', {});
      const schemas = (listed.structuredContent as { schemas: { schema: string }[] }).schemas.map((s) => s.schema);
      expect(schemas).toContain('reports');
      expect(schemas).not.toContain('hidden_views');
    });

    it('a view over allowed data only stays visible and answers', async () => {
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT name, title FROM reports.names WHERE id = 3' }))).toEqual([['Employee 3', 'Analyst']]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT n FROM reports.headcount' }))).toEqual([[40]]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT count(*) FROM reports.names_m' }))).toEqual([[40]]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT sum(c) FROM reports.titles' })).map((r) => Number(r[0]))).toEqual([40]);
    });

    it('a view named exactly by a rule is allowed; a view over it is judged by its data, so it needs naming too', async () => {
      const blessed = await bastion.call('query', { sql: "SELECT api_key FROM reports.blessed WHERE service = 'payments'" });
      expect(rowsOf(blessed)).toEqual([[SECRET]]);
      // Naming a view lifts a table denial for that view only: a view over it could read it unmasked.
      expect(errorCode(await bastion.call('query', { sql: 'SELECT service FROM reports.on_blessed ORDER BY 1' }))).toBe('TABLE_NOT_FOUND');
    });

    it('a view over a named view keeps its masks: it is denied unless named, and read through the rules when named', async () => {
      // reports.named_nested reads reports.contacts (masked email); a wrapper over a named view must not unmask it.
      for (const sql of ['SELECT * FROM reports.named_nested', "SELECT count(*) FROM reports.named_nested WHERE email = 'employee3@example.com'"]) {
        expect(leaks(await bastion.call('query', { sql })), sql).toBe(false);
      }
    });

    it('a view named by a rule over a masked column answers with masked values, and a filter on it sees only the mask', async () => {
      const rows = rowsOf(await bastion.call('query', { sql: 'SELECT id, email FROM reports.named_contacts WHERE id = 3' }));
      expect(rows).toHaveLength(1);
      expect(String(rows[0]?.[1])).not.toBe(REAL_EMAIL);
      expect(String(rows[0]?.[1])).toMatch(/\*/);
      for (const sql of [
        'SELECT * FROM reports.named_contacts',
        "SELECT count(*) FROM reports.named_contacts WHERE email = 'employee3@example.com'",
        'SELECT string_agg(email, \',\') FROM reports.named_contacts',
        'SELECT x FROM (SELECT email AS x FROM reports.named_contacts) s',
        'SELECT to_jsonb(v) FROM reports.named_contacts v',
        'SELECT * FROM reports.named_nested',
      ]) {
        const result = await bastion.call('query', { sql });
        expect(leaks(result), sql).toBe(false);
      }
      // A yes/no question about the real value gets the same answer either way.
      const yes = rowsOf(await bastion.call('query', { sql: "SELECT count(*) FROM reports.named_contacts WHERE email = 'employee3@example.com'" }));
      const no = rowsOf(await bastion.call('query', { sql: "SELECT count(*) FROM reports.named_contacts WHERE email = 'employee3@example.org'" }));
      expect(yes).toEqual(no);
    });

    it('a view named by a rule that needs a denied column fails for the role, without the value', async () => {
      const result = await bastion.call('query', { sql: 'SELECT * FROM reports.named_by_ssn' });
      expect(result.isError).toBe(true);
      expect(leaks(result)).toBe(false);
    });

    it('the same views answer a role without rules (the check costs it nothing)', async () => {
      const admin = await sessionAs(bastion, ADMIN);
      try {
        expect(rowsOf(await admin.call('query', { sql: "SELECT api_key FROM reports.keys WHERE service = 'payments'" }))).toEqual([[SECRET]]);
      } finally {
        await admin.close();
      }
    });

    it('the cast-error attack on a masked column returns an error without the value', async () => {
      const result = await bastion.call('query', { sql: 'SELECT (SELECT email FROM hr.employees WHERE id = 3)::int' });
      expect(result.isError).toBe(true);
      expect(leaks(result)).toBe(false);
    });

    it('a data error quotes no value to a role with rules, and still says what went wrong', async () => {
      const result = await bastion.call('query', { sql: 'SELECT name::int FROM hr.employees WHERE id = 3' });
      expect(errorCode(result)).toBe('QUERY_FAILED');
      expect(messageOf(result)).toContain('invalid input syntax for type integer: "…"');
      expect(messageOf(result)).not.toContain('Employee 3');
      const admin = await sessionAs(bastion, ADMIN);
      try {
        expect(messageOf(await admin.call('query', { sql: 'SELECT name::int FROM hr.employees WHERE id = 3' }))).toContain('"Employee 3"');
      } finally {
        await admin.close();
      }
    });
  });
}

/** Marks the PGlite setup: its database lives in the server, so views are made through the source itself. */
const noAdmin = (): Promise<void> => Promise.resolve();

function pgliteAdmin(bastion: TestBastion): (sql: string) => Promise<void> {
  const source = bastion.ctx.sources.get('main')?.source;
  return async (sql) => {
    await source?.write?.({ kind: 'ddl', sql, params: [], dryRun: false, maxAffectedRows: 0, maxBytes: 1 << 20 });
  };
}

viewsSuite('views on PGlite', () => Promise.resolve({ source: { engine: 'pglite', writes: { enabled: true } }, admin: noAdmin, cleanup: () => Promise.resolve() }));

describe.skipIf(!postgres.ok)('views on PostgreSQL', () => {
  let db: TestDatabase;
  viewsSuite('views on PostgreSQL', async () => {
    db = await createTestDatabase();
    return {
      source: { engine: 'postgres', url: db.url },
      admin: async (sql) => {
        await db.admin(sql);
      },
      cleanup: () => db.drop(),
    };
  });
});
