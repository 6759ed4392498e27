/**
 * Rows read in the order a protected column puts them in, and a column that copies one
 * (attacker's verification round): on PostgreSQL and PGlite
 * - a table CLUSTERed on an index of a masked column keeps its rows sorted by the real
 *   values, which a plain scan (string_agg without ORDER BY) returns;
 * - a table partitioned by a masked column is read partition by partition, in bound order;
 * - a generated column computed from a denied one holds part of its value.
 * The first two are unreadable for the role (like a table stored in a protected key's
 * order), the generated column is denied beside the protected one. Judged by effect: the
 * order and the copied value never come back, and the unrestricted role still reads all.
 */
import { expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf } from '../helpers/bastion.js';
import { pgFamilySuites } from '../helpers/pg-family-suites.js';

const SETUP = [
  'CREATE SCHEMA vault',
  'CREATE TABLE vault.cl (id int, name text, salary int)',
  "INSERT INTO vault.cl SELECT g, 'c' || g, (g * 7919) % 1000 FROM pg_catalog.generate_series(1, 50) g",
  'CREATE INDEX cl_sal ON vault.cl (salary)',
  'CLUSTER vault.cl USING cl_sal',
  'CREATE TABLE vault.parted (id int, name text, salary int) PARTITION BY RANGE (salary)',
  'CREATE TABLE vault.p_high PARTITION OF vault.parted FOR VALUES FROM (80000) TO (1000000)',
  'CREATE TABLE vault.p_low PARTITION OF vault.parted FOR VALUES FROM (0) TO (60000)',
  'CREATE TABLE vault.p_mid PARTITION OF vault.parted FOR VALUES FROM (60000) TO (80000)',
  "INSERT INTO vault.parted SELECT g, 'p' || g, CASE g % 3 WHEN 1 THEN 10000 WHEN 2 THEN 70000 ELSE 90000 END FROM pg_catalog.generate_series(1, 30) g",
  'CREATE TABLE vault.emp (id int PRIMARY KEY, name text, ssn text, gen text GENERATED ALWAYS AS (substr(ssn, 1, 3)) STORED)',
  "INSERT INTO vault.emp (id, name, ssn) VALUES (1, 'a', '111-22-3333'), (2, 'b', '999-88-7777')",
  // A control: partitioned by a column without rules, readable.
  'CREATE TABLE vault.by_id (id int, salary int) PARTITION BY RANGE (id)',
  'CREATE TABLE vault.by_id_1 PARTITION OF vault.by_id FOR VALUES FROM (0) TO (100)',
  'INSERT INTO vault.by_id VALUES (1, 5), (2, 6)',
];
const ROLES = {
  analyst: {
    tools: ['query', 'describe_table'],
    tables: { allow: ['*.*'], deny: [] },
    columns: { deny: ['vault.emp.ssn'], mask: { 'vault.cl.salary': 'hash', 'vault.parted.salary': 'hash', 'vault.by_id.salary': 'hash' } },
  },
};
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };

pgFamilySuites('stored order and generated copies', { roles: ROLES }, ANALYST, SETUP, (env) => {
  it('a table CLUSTERed on a masked column, and one partitioned by it, are unreadable: no order comes back', async () => {
    const admin = await openSession(env().bastion.ctx, ADMIN);
    try {
      for (const table of ['vault.cl', 'vault.parted']) {
        const real = rowsOf(await admin.call('query', { sql: `SELECT string_agg(id::text, ',' ORDER BY salary, id) FROM ${table}` }))[0]?.[0];
        const result = await env().bastion.call('query', { sql: `SELECT string_agg(id::text, ',') FROM ${table}` });
        expect(errorCode(result), table).toBe('TABLE_NOT_FOUND');
        expect(JSON.stringify(result)).not.toContain(String(real));
      }
    } finally {
      await admin.close();
    }
    // Partitioned by a column without rules: readable, the masked column masked.
    const control = rowsOf(await env().bastion.call('query', { sql: 'SELECT id, salary FROM vault.by_id ORDER BY id' }));
    expect(control.map((row) => row[0])).toEqual([1, 2]);
    expect(String(control[0]?.[1])).toMatch(/^hmac:/);
  });

  it('a generated column computed from a denied one is denied too', async () => {
    const result = await env().bastion.call('query', { sql: 'SELECT id, gen FROM vault.emp ORDER BY id' });
    expect(errorCode(result)).toBe('QUERY_FAILED');
    expect(JSON.stringify(result)).not.toMatch(/111|999/);
    expect(rowsOf(await env().bastion.call('query', { sql: 'SELECT id, name FROM vault.emp ORDER BY id' }))).toEqual([[1, 'a'], [2, 'b']]);
    const described = JSON.stringify(await env().bastion.call('describe_table', { table: 'vault.emp' }));
    expect(described).not.toContain('"gen"');
    expect(described).not.toContain('substr(ssn');
  });
});
