/**
 * Roles down to tables and columns. Each attack tries to read a denied table or
 * column another way; the check is that the secret never comes back, not only
 * that an error did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const SECRET = 'sk_test_demo_not_a_real_key_0001';
const ROLES = {
  analyst: {
    tools: ['list_*', 'describe_table', 'query', 'explain'],
    tables: { allow: ['shop.*', 'hr.*', 'public.*'], deny: ['hr.api_credentials', 'public.vault'] },
    columns: { deny: ['hr.employees.ssn', 'hr.employees.salary'] },
  },
  shop_only: { tools: ['query', 'list_tables'], tables: { allow: ['shop.*'] } },
  elsewhere: { tools: ['*'], sources: ['other_*'] },
};
const analyst = { id: 'p:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };

function text(result: CallToolResult): string {
  return JSON.stringify(result);
}

function rbacSuite(label: string, setup: () => Promise<{ source: Record<string, unknown>; cleanup: () => Promise<void> }>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const s = await setup();
      cleanup = s.cleanup;
      bastion = await startBastion({ sources: { main: s.source }, roles: ROLES }, analyst);
    });
    afterAll(async () => {
      await bastion.close();
      await cleanup();
    });

    const deniedTable = [
      ['schema-qualified', 'SELECT * FROM hr.api_credentials'],
      ['quoted', 'SELECT api_key FROM "hr"."api_credentials"'],
      ['Unicode-escaped', 'SELECT api_key FROM hr.U&"api\\005fcredentials"'],
      ['in a scalar subquery', 'SELECT (SELECT api_key FROM hr.api_credentials LIMIT 1) AS k'],
      ['in a FROM subquery', 'SELECT k FROM (SELECT api_key AS k FROM hr.api_credentials) AS s'],
      ['in a CTE', 'WITH x AS (SELECT api_key FROM hr.api_credentials) SELECT * FROM x'],
      ['in a nested CTE', 'SELECT * FROM (WITH y AS (SELECT * FROM hr.api_credentials) SELECT * FROM y) z'],
      ['in a UNION branch', 'SELECT name FROM shop.customers UNION ALL SELECT api_key FROM hr.api_credentials'],
      ['in a JOIN', 'SELECT c.name, a.api_key FROM shop.customers c JOIN hr.api_credentials a ON a.id = c.id'],
      ['in a LATERAL', 'SELECT a.api_key FROM shop.customers c, LATERAL (SELECT api_key FROM hr.api_credentials) a'],
      ['in EXISTS', "SELECT count(*) FROM shop.customers WHERE EXISTS (SELECT 1 FROM hr.api_credentials WHERE api_key LIKE 'sk_%')"],
      ['aliased', 'SELECT t.api_key FROM hr.api_credentials AS t'],
    ] as const;

    it.each(deniedTable)('a denied table cannot be read %s', async (_how, sql) => {
      const result = await bastion.call('query', { sql });
      expect(errorCode(result)).toBe('TABLE_NOT_FOUND');
      expect(text(result)).not.toContain(SECRET);
    });

    it('explain of a statement over a denied table is refused too', async () => {
      const result = await bastion.call('explain', { sql: 'EXPLAIN SELECT * FROM hr.api_credentials' });
      expect(errorCode(result)).toBe('TABLE_NOT_FOUND');
      expect(result.structuredContent).toBeUndefined();
      expect(text(result)).not.toMatch(/Scan on api_credentials/);
    });

    const deniedColumn = [
      ['by name', 'SELECT ssn FROM hr.employees'],
      ['qualified', 'SELECT e.ssn FROM hr.employees e'],
      ['through SELECT *', 'SELECT * FROM hr.employees'],
      ['through alias.*', 'SELECT e.* FROM hr.employees e'],
      ['as a whole-row value', 'SELECT e FROM hr.employees e'],
      ['inside to_jsonb of the row', 'SELECT to_jsonb(e) FROM hr.employees e'],
      ['in WHERE (inference)', 'SELECT count(*) FROM hr.employees WHERE salary > 50000'],
      ['in ORDER BY (inference)', 'SELECT name FROM hr.employees ORDER BY salary DESC LIMIT 1'],
      ['in an aggregate', 'SELECT max(salary) FROM hr.employees'],
      ['in an expression', "SELECT upper(ssn) FROM hr.employees"],
      ['through JOIN USING', 'SELECT count(*) FROM hr.employees a JOIN hr.employees b USING (ssn)'],
      ['through a NATURAL join', 'SELECT count(*) FROM hr.employees NATURAL JOIN hr.employees x'],
      ['through SELECT * in a CTE', 'WITH e AS (SELECT * FROM hr.employees) SELECT name FROM e'],
    ] as const;

    // A denied column does not exist for the role: naming it is an unknown column, a star
    // or a whole row leaves it out, and nothing can filter, sort or aggregate on it.
    it.each(deniedColumn)('a denied column cannot be read %s', async (_how, sql) => {
      const result = await bastion.call('query', { sql });
      expect(text(result)).not.toMatch(/\d{3}-\d{2}-\d{4}/);
      expect(text(result)).not.toMatch(/\b\d{5}\.00\b/);
      const columns = (result.structuredContent as { columns?: { name: string }[] } | undefined)?.columns ?? [];
      expect(columns.map((c) => c.name)).not.toContain('ssn');
      expect(columns.map((c) => c.name)).not.toContain('salary');
    });

    it('a denied column is unknown to the role, and SELECT * leaves it out', async () => {
      const named = await bastion.call('query', { sql: 'SELECT ssn FROM hr.employees' });
      expect(errorCode(named)).toBe('QUERY_FAILED');
      expect(text(named)).toMatch(/column \\?"?ssn\\?"? does not exist/);
      const star = await bastion.call('query', { sql: 'SELECT * FROM hr.employees' });
      const columns = (star.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name);
      expect(columns).toEqual(['id', 'name', 'email', 'title', 'manager_id', 'hired_on']);
    });

    it('allowed tables and columns still work', async () => {
      for (const sql of ['SELECT name, title FROM hr.employees ORDER BY id LIMIT 3', 'SELECT count(*) FROM hr.employees', 'SELECT * FROM shop.orders LIMIT 2', 'WITH e AS (SELECT name FROM hr.employees) SELECT count(*) FROM e']) {
        const result = await bastion.call('query', { sql });
        expect(result.isError, `${sql}: ${text(result)}`).toBeFalsy();
      }
    });

    it('a denied table is invisible in list_tables and describe_table', async () => {
      const tables = await bastion.call('list_tables', {});
      expect(text(tables)).toContain('employees');
      expect(text(tables)).not.toContain('api_credentials');
      const described = await bastion.call('describe_table', { table: 'hr.api_credentials' });
      expect(errorCode(described)).toBe('TABLE_NOT_FOUND');
    });

    it('describe_table leaves out denied columns and the constraints and indexes that name them', async () => {
      const described = await bastion.call('describe_table', { table: 'hr.employees' });
      const columns = (described.structuredContent as { columns: { name: string }[] }).columns.map((c) => c.name);
      expect(columns).toContain('name');
      expect(columns).not.toContain('ssn');
      expect(columns).not.toContain('salary');
      expect(text(described)).not.toContain('ssn');
    });

    it('tools/list shows a principal only the tools of its role', async () => {
      const limited = await startBastion({ sources: { main: (await setup()).source }, roles: ROLES }, { ...analyst, id: 'p:shop', role: 'shop_only' });
      try {
        const names = (await limited.client.listTools()).tools.map((t) => t.name).sort();
        expect(names).toEqual(['list_tables', 'query']);
        const call = await limited.client.callTool({ name: 'describe_table', arguments: { table: 'shop.orders' } });
        expect(call.isError).toBe(true);
        expect(JSON.stringify(call)).not.toContain('customer_id');
        const denied = await limited.call('query', { sql: 'SELECT name FROM hr.employees' });
        expect(errorCode(denied)).toBe('TABLE_NOT_FOUND');
      } finally {
        await limited.close();
      }
    });

    it('a source outside the role is reported as not found', async () => {
      const other = await startBastion({ sources: { main: (await setup()).source }, roles: ROLES }, { ...analyst, id: 'p:else', role: 'elsewhere' });
      try {
        const sources = await other.call('list_sources', {});
        expect((sources.structuredContent as { sources: unknown[] }).sources).toEqual([]);
        const refused = await other.call('query', { sql: 'SELECT count(*) AS n FROM shop.orders', source: 'main' });
        expect(errorCode(refused)).toBe('SOURCE_NOT_FOUND');
        expect(refused.structuredContent).toBeUndefined();
      } finally {
        await other.close();
      }
    });

    it('an unknown role gets nothing', async () => {
      await expect(startBastion({ sources: { main: (await setup()).source }, roles: ROLES }, { ...analyst, role: 'ghost' })).rejects.toThrow();
    });
  });
}

rbacSuite('RBAC on PGlite', async () => ({ source: { engine: 'pglite' }, cleanup: async () => undefined }));

describe.skipIf(!postgres.ok)('RBAC on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.admin("CREATE TABLE public.vault (secret text); INSERT INTO public.vault VALUES ('" + SECRET + "')");
  });
  afterAll(async () => db.drop());

  rbacSuite('RBAC on PostgreSQL', async () => ({ source: { engine: 'postgres', url: db.url }, cleanup: async () => undefined }));

  it('a CTE declared after its use does not hide the real table (PostgreSQL scoping)', async () => {
    const bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url } }, roles: ROLES }, analyst);
    try {
      for (const sql of [
        'WITH a AS (SELECT * FROM vault), vault AS (SELECT 1 AS secret) SELECT * FROM a',
        'SELECT * FROM vault',
        'SELECT (SELECT secret FROM vault)',
      ]) {
        const result = await bastion.call('query', { sql });
        expect(errorCode(result), sql).toBe('TABLE_NOT_FOUND');
        expect(text(result)).not.toContain(SECRET);
      }
      const shadowed = await bastion.call('query', { sql: "WITH vault AS (SELECT 'harmless' AS secret) SELECT * FROM vault" });
      expect(shadowed.isError).toBeFalsy();
    } finally {
      await bastion.close();
    }
  });
});
