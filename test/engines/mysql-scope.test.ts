/**
 * A MySQL source serves the database its URL names, and only that one unless its
 * `schemas` setting lists others. Judged by effect on a real server with two
 * databases: the other one's table is neither listed, described, read nor
 * written, and its secret never appears in an answer.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type MysqlSourceConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { openMysqlEngine } from '../../src/engines/mysql/index.js';
import { errorCode, rowsOf, startBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { cleanup, makeTempDir, startStdio, type StdioBastion } from '../helpers/spawn.js';

const SECRET = 'tok_other_database_4471';
const ADMIN = { id: 'p:admin', kind: 'api_key' as const, role: 'admin', scopes: [] };

describe.skipIf(!mariadb.ok)('a MySQL source serves only its databases', () => {
  let served: TestMysqlDatabase;
  let other: TestMysqlDatabase;
  const otherRows = async (): Promise<unknown> => other.admin('SELECT id, token FROM vault ORDER BY id');

  beforeAll(async () => {
    served = await createMysqlDatabase();
    other = await createMysqlDatabase();
    await served.admin("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL); INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    await other.admin(`CREATE TABLE vault (id INT PRIMARY KEY, token VARCHAR(40) NOT NULL); INSERT INTO vault VALUES (1, '${SECRET}')`);
  });
  afterAll(async () => {
    await cleanup();
    await served?.drop();
    await other?.drop();
  });

  describe('--db mysql://host/db (the built binary)', () => {
    let server: StdioBastion;
    const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> =>
      (await server.client.callTool({ name, arguments: args })) as CallToolResult;
    beforeAll(async () => {
      server = await startStdio(['--db', served.url], { cwd: makeTempDir() });
    }, 60_000);
    afterAll(async () => server?.close());

    it('list_schemas and list_tables show the URL database only', async () => {
      const schemas = (await call('list_schemas', {})).structuredContent as { schemas: { schema: string }[] };
      expect(schemas.schemas.map((s) => s.schema)).toEqual([served.name]);
      const tables = (await call('list_tables', {})).structuredContent as { tables: { schema: string; name: string }[] };
      expect(tables.tables).toEqual([expect.objectContaining({ schema: served.name, name: 'items' })]);
      const filtered = await call('list_tables', { schema: other.name });
      expect((filtered.structuredContent as { tables: unknown[] }).tables).toEqual([]);
    });

    it('describe_table does not describe the other database’s table', async () => {
      const described = await call('describe_table', { table: `${other.name}.vault` });
      expect(errorCode(described)).toBe('TABLE_NOT_FOUND');
      expect(JSON.stringify(described)).not.toContain('token');
      expect((await call('describe_table', { table: 'items' })).isError).toBeFalsy();
    });

    it.each([
      ['a qualified name', 'query', (db: string) => `SELECT token FROM ${db}.vault`],
      ['a backquoted name', 'query', (db: string) => `SELECT token FROM \`${db}\`.\`vault\``],
      ['a join', 'query', (db: string) => `SELECT i.name, v.token FROM items i JOIN ${db}.vault v ON v.id = i.id`],
      ['a subquery', 'query', (db: string) => `SELECT (SELECT token FROM ${db}.vault LIMIT 1) AS t`],
      ['an EXPLAIN', 'query', (db: string) => `EXPLAIN SELECT token FROM ${db}.vault`],
      ['the explain tool', 'explain', (db: string) => `EXPLAIN SELECT token FROM ${db}.vault`],
    ])('query cannot read the other database through %s', async (_how, tool, sql) => {
      const result = await call(tool, { sql: sql(other.name) });
      expect(errorCode(result)).toBe('TABLE_NOT_FOUND');
      expect(JSON.stringify(result)).not.toContain(SECRET);
    });

    it('information_schema, which lists every database, is not readable through query', async () => {
      const result = await call('query', { sql: 'SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES' });
      expect(errorCode(result)).toBe('DENIED_BY_POLICY');
      expect(JSON.stringify(result)).not.toContain('vault');
    });

    it('the served database is read as before', async () => {
      expect(rowsOf(await call('query', { sql: `SELECT name FROM ${served.name}.items ORDER BY id` }))).toEqual([['a'], ['b']]);
      expect(rowsOf(await call('query', { sql: 'SELECT name FROM items WHERE id = ?', params: [2] }))).toEqual([['b']]);
    });
  });

  it('schemas lists the databases a source serves, information_schema included when named', async () => {
    const bastion = await startBastion({ sources: { main: { engine: 'mysql', url: served.url, schemas: [served.name, other.name, 'information_schema'] } } }, ADMIN);
    try {
      const schemas = (await bastion.call('list_schemas', {})).structuredContent as { schemas: { schema: string }[] };
      expect(schemas.schemas.map((s) => s.schema).sort()).toEqual([served.name, other.name].sort());
      expect(rowsOf(await bastion.call('query', { sql: `SELECT token FROM ${other.name}.vault` }))).toEqual([[SECRET]]);
      const names = rowsOf(await bastion.call('query', { sql: 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', params: [other.name] }));
      expect(names).toEqual([['vault']]);
    } finally {
      await bastion.close();
    }
  });

  it('schemas without the URL database leaves unqualified names unreadable', async () => {
    const bastion = await startBastion({ sources: { main: { engine: 'mysql', url: served.url, schemas: [other.name] } } }, ADMIN);
    try {
      expect(errorCode(await bastion.call('query', { sql: 'SELECT name FROM items' }))).toBe('TABLE_NOT_FOUND');
      expect(errorCode(await bastion.call('describe_table', { table: 'items' }))).toBe('TABLE_NOT_FOUND');
      expect(rowsOf(await bastion.call('query', { sql: `SELECT id FROM ${other.name}.vault` }))).toEqual([[1]]);
    } finally {
      await bastion.close();
    }
  });

  it('execute cannot change the other database’s rows, even for a role that needs no approval', async () => {
    const before = await otherRows();
    const bastion = await startBastion(
      {
        sources: { main: { engine: 'mysql', url: served.url, writes: { enabled: true } } },
        roles: { robot: { tools: ['*'], approval: { main: 'none' } } },
      },
      { ...ADMIN, id: 'p:robot', role: 'robot' },
    );
    try {
      for (const sql of [`UPDATE ${other.name}.vault SET token = 'x' WHERE id = 1`, `DELETE FROM ${other.name}.vault WHERE id = 1`, `INSERT INTO items SELECT id + 10, token FROM ${other.name}.vault`]) {
        const result = await bastion.call('execute', { sql, dry_run: false });
        expect(result.isError, sql).toBe(true);
        expect(JSON.stringify(result)).not.toContain(SECRET);
      }
    } finally {
      await bastion.close();
    }
    expect(await otherRows()).toEqual(before);
    expect(await served.admin('SELECT COUNT(*) AS n FROM items')).toEqual([{ n: 2 }]);
  });

  it('a system database in schemas stops the start with a message naming the key', async () => {
    const config = sourceSchema.parse({ engine: 'mysql', url: served.url, schemas: [served.name, 'mysql'] }) as MysqlSourceConfig;
    await expect(openMysqlEngine('main', config, createLogger('silent'))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('sources.main.schemas') });
  });
});
