/**
 * A role with rules runs its statements with names pinned to the built-ins; two routes to
 * code that is not built in do not go through names, and are closed here (attacker's leak 4):
 * - a cast between built-in types through a function of its own (CREATE CAST ... WITH
 *   FUNCTION public.f): PostgreSQL picks a cast by its types, implicitly too, whatever the
 *   search path. While one exists, a role with rules cannot query the source (fail closed);
 * - a type named with its schema (a domain whose CHECK calls any function): refused.
 * Judged by effect: the planted key never appears in any answer or error, and the
 * unrestricted role is unaffected. On PGlite always, on PostgreSQL when one answers.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const SECRET = 'sk_test_demo_not_a_real_key_0001';

const USER_CODE = [
  'CREATE FUNCTION public.key_of(int) RETURNS text LANGUAGE sql AS $$ SELECT api_key FROM hr.api_credentials ORDER BY id LIMIT 1 $$',
  'CREATE FUNCTION public.shout(text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION \'%\', (SELECT api_key FROM hr.api_credentials ORDER BY id LIMIT 1); END $$',
  'CREATE DOMAIN public.loud AS text CHECK (public.shout(VALUE))',
  // Functions the configuration allows: judged by what their bodies read.
  'CREATE FUNCTION public.key_atomic(int) RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT api_key FROM hr.api_credentials WHERE id = $1; END',
  'CREATE FUNCTION public.via_other(int) RETURNS text LANGUAGE sql AS $$ SELECT public.key_of($1) $$',
  'CREATE FUNCTION public.employee_ssn(int) RETURNS text LANGUAGE sql AS $$ SELECT ssn FROM hr.employees WHERE id = $1 $$',
  'CREATE FUNCTION public.with_path(int) RETURNS text LANGUAGE sql SET search_path = hr AS $$ SELECT api_key FROM api_credentials WHERE id = $1 $$',
  'CREATE FUNCTION public.dept_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM shop.products $$',
  'CREATE FUNCTION public.twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT $1 * 2 $$',
  // Atomic bodies that reach data without a dependency: SQL given as a string, a user operator.
  "CREATE FUNCTION public.as_xml() RETURNS xml LANGUAGE sql STABLE BEGIN ATOMIC SELECT pg_catalog.query_to_xml('select api_key from hr.api_credentials', true, false, ''); END",
  'CREATE FUNCTION public.peek(text, text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT api_key FROM hr.api_credentials ORDER BY id LIMIT 1 $$',
  'CREATE OPERATOR public.<~> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.peek)',
  "CREATE FUNCTION public.via_operator() RETURNS text LANGUAGE sql STABLE BEGIN ATOMIC SELECT 'a'::text OPERATOR(public.<~>) 'b'::text; END",
  'CREATE FUNCTION public.returned() RETURNS text LANGUAGE sql STABLE RETURN (SELECT api_key FROM hr.api_credentials ORDER BY id LIMIT 1)',
];
const CONFIGURED = ['public.as_xml', 'public.via_operator', 'public.returned', 'public.key_of', 'public.shout', 'public.key_atomic', 'public.via_other', 'public.employee_ssn', 'public.with_path', 'public.dept_count', 'public.twice'];
const CAST = 'CREATE CAST (int4 AS text) WITH FUNCTION public.key_of(int) AS IMPLICIT';
const UNCAST = 'DROP CAST (int4 AS text)';

const ROLES = {
  analyst: { tools: ['query'], tables: { allow: ['hr.*', 'shop.*'], deny: ['hr.api_credentials'] }, columns: { deny: ['hr.employees.ssn'] } },
};
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };

const leaks = (result: CallToolResult): boolean => JSON.stringify(result).includes(SECRET);

pgFamilySuites('user code', { roles: ROLES, sql: { allow_functions: CONFIGURED } }, ANALYST, USER_CODE, (env) => {
  it('a cast through a function of its own: the role with rules is refused every statement, and gets no key', async () => {
    await env().admin(CAST);
    env().bastion.ctx.sources.get('main')?.catalog.invalidate();
    try {
      for (const sql of ['SELECT 42::text', 'SELECT lower(42)', "SELECT concat('', 42)", 'SELECT name FROM hr.employees WHERE id = 1', "SELECT 'a' || 42"]) {
        const result = await env().bastion.call('query', { sql });
        expect(leaks(result), sql).toBe(false);
        expect(errorCode(result), sql).toBe('DENIED_BY_POLICY');
      }
      // The role without rules is not affected: the cast is the database's, and it sees everything anyway.
      const root = await openSession(env().bastion.ctx, ADMIN);
      try {
        expect(rowsOf(await root.call('query', { sql: 'SELECT 42::text' }))).toEqual([[SECRET]]);
      } finally {
        await root.close();
      }
    } finally {
      await env().admin(UNCAST);
      env().bastion.ctx.sources.get('main')?.catalog.invalidate();
    }
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT 42::text' }))).toEqual([['42']]);
  });

  it('a function the configuration allows is refused to the role when its body reads what the role may not see, or cannot be read through', async () => {
    for (const sql of ['SELECT public.as_xml()', 'SELECT public.via_operator()', 'SELECT public.returned()', 'SELECT public.key_of(1)', 'SELECT public.key_atomic(1)', 'SELECT public.via_other(1)', 'SELECT public.employee_ssn(1)', 'SELECT public.with_path(1)', "SELECT public.shout('x')", 'SELECT * FROM public.key_of(1)', 'SELECT name FROM hr.employees WHERE public.employee_ssn(id) LIKE \'0%\'']) {
      const result = await env().bastion.call('query', { sql });
      expect(leaks(result), sql).toBe(false);
      expect(errorCode(result), sql).toBe('SQL_FUNCTION_DENIED');
    }
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT public.dept_count() > 0, public.twice(21)' }))).toEqual([[true, 42]]);
    const root = await openSession(env().bastion.ctx, ADMIN);
    try {
      expect(rowsOf(await root.call('query', { sql: 'SELECT public.key_atomic(1)' }))).toEqual([[SECRET]]);
    } finally {
      await root.close();
    }
  });

  it('catalog lookups by name are refused to a role with rules: a denied table is not even shown to exist', async () => {
    for (const sql of [
      "SELECT to_regclass('hr.api_credentials')",
      "SELECT 'hr.api_credentials'::regclass::oid",
      "SELECT has_column_privilege('hr.employees', 'ssn', 'select')",
      "SELECT pg_relation_size('hr.api_credentials')",
      "SELECT pg_table_is_visible(1259)",
    ]) {
      const result = await env().bastion.call('query', { sql });
      expect(errorCode(result), sql).toBe('SQL_FUNCTION_DENIED');
      expect(JSON.stringify(result), sql).not.toContain('api_credentials"');
    }
    // Twins: a denied table that exists and one that does not get the same answer, word for word.
    const answer = async (table: string): Promise<string> =>
      JSON.stringify((await env().bastion.call('query', { sql: `SELECT to_regclass('hr.${table}') IS NOT NULL` })).content).replaceAll(table, 'T').replace(/correlation id: [^)]*/, 'correlation id');
    expect(await answer('api_credentials')).toBe(await answer('no_such_table'));
    // The unrestricted role keeps them.
    const root = await openSession(env().bastion.ctx, ADMIN);
    try {
      expect(rowsOf(await root.call('query', { sql: "SELECT to_regclass('hr.api_credentials') IS NOT NULL" }))).toEqual([[true]]);
    } finally {
      await root.close();
    }
  });

  it('a type named with its schema (a domain whose CHECK runs any function) is refused, without the key', async () => {
    for (const sql of ["SELECT 'x'::public.loud", "SELECT CAST('x' AS public.loud)", "SELECT ARRAY['x']::public.loud[]", "SELECT name FROM hr.employees WHERE name::public.loud IS NOT NULL"]) {
      const result = await env().bastion.call('query', { sql });
      expect(leaks(result), sql).toBe(false);
      expect(errorCode(result), sql).toBe('SQL_FEATURE_DENIED');
    }
    // Unqualified, with names pinned, it is not found at all.
    const unqualified = await env().bastion.call('query', { sql: "SELECT 'x'::loud" });
    expect(leaks(unqualified)).toBe(false);
    expect(unqualified.isError).toBe(true);
    // Built-in types, written either way, still work.
    expect(rowsOf(await env().bastion.call('query', { sql: "SELECT '7'::int + '1'::pg_catalog.int4" }))).toEqual([[8]]);
  });
});
