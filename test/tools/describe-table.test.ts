/**
 * describe_table says NOT NULL once, as the column's `nullable: false`, on every
 * engine. PostgreSQL 18 (and PGlite, built on it) also records each NOT NULL as
 * a constraint; listing those too would say it twice.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb } from '../helpers/mariadb.js';
import { createTestDatabase, postgres } from '../helpers/postgres.js';
import { cleanup, makeTempDir } from '../helpers/spawn.js';

interface Described {
  columns: { name: string; nullable: boolean }[];
  constraints: { name: string; type: string; definition: string }[];
}

const ADMIN = { id: 'p:admin', kind: 'api_key' as const, role: 'admin', scopes: [] };
const TABLE = 'CREATE TABLE gadgets (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, note VARCHAR(20))';

afterAll(async () => cleanup());

async function describeGadgets(source: Record<string, unknown>, table: string): Promise<Described> {
  const bastion = await startBastion({ sources: { main: source } }, ADMIN);
  try {
    const result = await bastion.call('describe_table', { table });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    return result.structuredContent as unknown as Described;
  } finally {
    await bastion.close();
  }
}

function expectNotNullOnce(described: Described, notNull: string[], nullable: string[]): void {
  for (const name of notNull) expect(described.columns.find((c) => c.name === name)?.nullable, name).toBe(false);
  for (const name of nullable) expect(described.columns.find((c) => c.name === name)?.nullable, name).toBe(true);
  expect(described.constraints.filter((c) => /NOT NULL/i.test(c.definition))).toEqual([]);
}

describe('describe_table lists NOT NULL once, on the column', () => {
  it('on PGlite (PostgreSQL 18 records NOT NULL as constraints too)', async () => {
    const described = await describeGadgets({ engine: 'pglite' }, 'shop.orders');
    expectNotNullOnce(described, ['id', 'customer_id', 'status', 'total'], []);
    // The constraints that are there are still listed.
    expect(described.constraints.map((c) => c.type).sort()).toEqual(['check', 'foreign key', 'primary key']);
  });

  it.skipIf(!postgres.ok)('on PostgreSQL', async () => {
    const db = await createTestDatabase({ seed: false });
    try {
      await db.admin(TABLE);
      expectNotNullOnce(await describeGadgets({ engine: 'postgres', url: db.url }, 'public.gadgets'), ['id', 'name'], ['note']);
    } finally {
      await db.drop();
    }
  });

  it.skipIf(!mariadb.ok)('on MySQL/MariaDB', async () => {
    const db = await createMysqlDatabase();
    try {
      await db.admin(TABLE);
      expectNotNullOnce(await describeGadgets({ engine: 'mysql', url: db.url }, 'gadgets'), ['id', 'name'], ['note']);
    } finally {
      await db.drop();
    }
  });

  it('on SQLite', async () => {
    const file = join(makeTempDir(), 'gadgets.db');
    const db = new Database(file);
    db.exec('CREATE TABLE gadgets (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, note TEXT)');
    db.close();
    expectNotNullOnce(await describeGadgets({ engine: 'sqlite', path: file }, 'gadgets'), ['id', 'name'], ['note']);
  });
});
