/**
 * The system catalogs describe every table, the denied ones too: pg_class names a denied
 * table and counts its rows, pg_attribute names a denied column — and keeps in
 * `attmissingval` the real value every row had when a column was added with a default,
 * however the role's rules mask that column. For a role with rules a glob such as `*.*`
 * never reaches pg_catalog or information_schema; only an exact name in `tables.allow`
 * does. Judged by effect: the planted value and the denied names never appear, and a
 * role without rules still reads the catalogs. PGlite always, PostgreSQL when one answers.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const PLANTED = 777_123_456;

const SETUP = [
  'CREATE TABLE hr.vault (id int PRIMARY KEY, secret_code text)',
  "INSERT INTO hr.vault VALUES (1, 'vault-code-0001')",
  // A column added with a default keeps that value for the rows already there in pg_attribute.attmissingval.
  `ALTER TABLE hr.employees ADD COLUMN bonus int DEFAULT ${PLANTED}`,
];

const ROLES = {
  analyst: {
    tools: ['query', 'list_tables', 'describe_table'],
    tables: { allow: ['*.*'], deny: ['hr.vault'] },
    columns: { deny: ['hr.employees.ssn'], mask: { 'hr.employees.bonus': 'null' } },
  },
  // Names one catalog table exactly: the configuration's explicit choice.
  inspector: { tools: ['query'], tables: { allow: ['*.*', 'pg_catalog.pg_namespace'], deny: ['hr.vault'] }, columns: { mask: { 'hr.employees.bonus': 'null' } } },
};
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const INSPECTOR: Principal = { id: 'p:inspector', kind: 'api_key', role: 'inspector', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };

const tells = (result: CallToolResult): boolean => {
  const text = JSON.stringify(result);
  return text.includes(String(PLANTED)) || text.includes('vault') || text.includes('ssn');
};

pgFamilySuites('system catalogs', { roles: ROLES }, ANALYST, SETUP, (env) => {
  it('a role with rules reads no catalog relation through a glob: no planted value, no denied name', async () => {
    for (const sql of [
      "SELECT a.attname, a.attmissingval::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = 'employees' AND a.atthasmissing",
      "SELECT attname FROM pg_attribute WHERE attname LIKE 's%n'",
      "SELECT relname, reltuples FROM pg_class WHERE relname LIKE 'v%t'",
      "SELECT tablename FROM pg_tables WHERE schemaname = 'hr'",
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'employees'",
      "SELECT column_default FROM information_schema.columns WHERE column_name = 'bonus'",
      'SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d',
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'hr'",
    ]) {
      const result = await env().bastion.call('query', { sql });
      expect(tells(result), sql).toBe(false);
      // pg_get_expr is a catalog reader of its own, refused by the function rules before the relation is.
      expect(errorCode(result), sql).toBe(sql.includes('pg_get_expr') ? 'SQL_FUNCTION_DENIED' : 'TABLE_NOT_FOUND');
    }
    // What the role may see is still there, through the tools made for it.
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT bonus FROM hr.employees ORDER BY id LIMIT 1' }))).toEqual([[null]]);
    const described = await env().bastion.call('describe_table', { table: 'hr.employees' });
    expect(errorCode(described)).toBeUndefined();
    expect(tells(described)).toBe(false);
  });

  it('a catalog table named exactly stays readable; the role without rules reads the catalogs as before', async () => {
    const inspector = await openSession(env().bastion.ctx, INSPECTOR);
    const admin = await openSession(env().bastion.ctx, ADMIN);
    try {
      expect(rowsOf(await inspector.call('query', { sql: "SELECT count(*) > 0 FROM pg_catalog.pg_namespace WHERE nspname = 'hr'" }))).toEqual([[true]]);
      expect(errorCode(await inspector.call('query', { sql: 'SELECT count(*) FROM pg_catalog.pg_attribute' }))).toBe('TABLE_NOT_FOUND');
      const missing = await admin.call('query', {
        sql: "SELECT a.attmissingval::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relname = 'employees' AND a.attname = 'bonus'",
      });
      expect(rowsOf(missing)).toEqual([[`{${PLANTED}}`]]);
    } finally {
      await inspector.close();
      await admin.close();
    }
  });
});
