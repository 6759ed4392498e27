/**
 * The catalogs' reading of indexes and foreign keys (Catalog.indexes, Catalog.foreignKeys), on
 * which the refusals of src/authorize/write-answers.ts and MySQL's IGNORE INDEX rely: an index
 * must list every column it reads — through an expression, a partial index's predicate or a
 * generated column — or a unique key on a protected column would go unnoticed. On SQLite
 * always, on PostgreSQL and MariaDB/MySQL when one answers.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadRequest, ReadResult } from '../../src/engine/source.js';
import { INDEXES, indexesOf } from '../../src/engines/postgres-family/indexes.js';
import { readForeignKeys as mysqlForeignKeys, readIndexes as mysqlIndexes } from '../../src/engines/mysql/constraints.js';
import { readForeignKeys, readIndexes } from '../../src/engines/sqlite/constraints.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const sorted = (indexes: readonly { name: string; unique: boolean; columns: readonly string[] | '*' }[]): unknown[] =>
  [...indexes].map((i) => ({ ...i, columns: i.columns === '*' ? '*' : [...i.columns].sort() })).sort((a, b) => a.name.localeCompare(b.name));

describe('SQLite: indexes and foreign keys as the catalog reads them', () => {
  const db = new Database(':memory:');
  const read = (request: ReadRequest): Promise<ReadResult> =>
    Promise.resolve({ columns: [], rows: db.prepare(request.sql).raw().all(...request.params) as unknown[][], truncated: false, bytes: 0 });
  beforeAll(() => {
    db.exec(`
      CREATE TABLE people (id INTEGER PRIMARY KEY, team TEXT, ssn TEXT, email TEXT, g TEXT GENERATED ALWAYS AS (lower(ssn)) VIRTUAL);
      CREATE UNIQUE INDEX team_ssn ON people (team, ssn);
      CREATE UNIQUE INDEX lower_email ON people (lower(email));
      CREATE UNIQUE INDEX team_where ON people (team) WHERE ssn IS NOT NULL;
      CREATE UNIQUE INDEX on_g ON people (g);
      CREATE INDEX plain ON people (email);
      CREATE TABLE badges (code TEXT PRIMARY KEY, owner INTEGER REFERENCES people, team TEXT, ssn TEXT, FOREIGN KEY (team, ssn) REFERENCES people (team, ssn)) WITHOUT ROWID;
    `);
  });
  afterAll(() => db.close());

  it('lists every column an index reads: key, expression, predicate; a generated column as every column; INTEGER PRIMARY KEY too', async () => {
    expect(sorted(await readIndexes(read, 'people'))).toEqual([
      { name: 'lower_email', unique: true, columns: ['email'] },
      { name: 'on_g', unique: true, columns: '*' },
      { name: 'plain', unique: false, columns: ['email'] },
      { name: 'PRIMARY KEY', unique: true, columns: ['id'] },
      { name: 'team_ssn', unique: true, columns: ['ssn', 'team'] },
      { name: 'team_where', unique: true, columns: ['ssn', 'team'] },
    ]);
    expect(sorted(await readIndexes(read, 'badges'))).toEqual([{ name: 'sqlite_autoindex_badges_1', unique: true, columns: ['code'] }]);
  });

  it('lists foreign keys both ways, a key naming no parent columns as the parent primary key', async () => {
    expect(await readForeignKeys(read, 'badges')).toEqual(
      expect.arrayContaining([
        { direction: 'to', schema: 'main', name: 'people', columns: ['id'] },
        { direction: 'to', schema: 'main', name: 'people', columns: ['team', 'ssn'] },
      ]),
    );
    expect(await readForeignKeys(read, 'people')).toEqual(
      expect.arrayContaining([
        { direction: 'from', schema: 'main', name: 'badges', columns: ['owner'] },
        { direction: 'from', schema: 'main', name: 'badges', columns: ['team', 'ssn'] },
      ]),
    );
  });
});

describe.skipIf(!postgres.ok)('PostgreSQL: indexes as the catalog reads them', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    await db.admin(`
      CREATE TABLE people (id int PRIMARY KEY, team text, ssn text, email text, g text GENERATED ALWAYS AS (lower(ssn)) STORED, slot int, EXCLUDE USING btree (slot WITH =));
      CREATE UNIQUE INDEX team_ssn ON people (team, ssn);
      CREATE UNIQUE INDEX lower_email ON people (lower(email));
      CREATE UNIQUE INDEX team_where ON people (team) WHERE ssn IS NOT NULL;
      CREATE UNIQUE INDEX on_g ON people (g);
      CREATE INDEX plain ON people (id, ssn);
    `);
  });
  afterAll(async () => db?.drop());

  it('lists every column an index reads: key, expression, predicate, a generated column and what it is computed from; exclusion constraints as unique', async () => {
    const rows = (await db.admin(INDEXES, ['public', 'people'])).rows.map((row: Record<string, unknown>) => Object.values(row));
    expect(sorted(indexesOf(rows))).toEqual([
      { name: 'lower_email', unique: true, columns: ['email'] },
      { name: 'on_g', unique: true, columns: ['g', 'ssn'] },
      { name: 'people_pkey', unique: true, columns: ['id'] },
      { name: 'people_slot_excl', unique: true, columns: ['slot'] },
      { name: 'plain', unique: false, columns: ['id', 'ssn'] },
      { name: 'team_ssn', unique: true, columns: ['ssn', 'team'] },
      { name: 'team_where', unique: true, columns: ['ssn', 'team'] },
    ]);
  });
});

describe.skipIf(!mariadb.ok)('MariaDB/MySQL: indexes and foreign keys as the catalog reads them', () => {
  let db: TestMysqlDatabase;
  const read = async (request: ReadRequest): Promise<ReadResult> => ({
    columns: [],
    rows: (await db.admin(request.sql, [...request.params])).map((row) => Object.values(row) as unknown[]),
    truncated: false,
    bytes: 0,
  });
  beforeAll(async () => {
    db = await createMysqlDatabase();
    await db.admin(`CREATE TABLE people (id INT PRIMARY KEY, team VARCHAR(20), ssn VARCHAR(20), g VARCHAR(20) AS (LOWER(ssn)) VIRTUAL,
      UNIQUE KEY team_ssn (team, ssn), UNIQUE KEY on_g (g), KEY plain (id, ssn))`);
    await db.admin('CREATE TABLE badges (id INT PRIMARY KEY, team VARCHAR(20), ssn VARCHAR(20), FOREIGN KEY (team, ssn) REFERENCES people (team, ssn))');
  });
  afterAll(async () => db?.drop());

  it('lists every column an index reads, a generated column as every column; foreign keys both ways with their columns in order', async () => {
    expect(sorted(await mysqlIndexes(read, db.name, 'people'))).toEqual([
      { name: 'on_g', unique: true, columns: '*' },
      { name: 'plain', unique: false, columns: ['id', 'ssn'] },
      { name: 'PRIMARY', unique: true, columns: ['id'] },
      { name: 'team_ssn', unique: true, columns: ['ssn', 'team'] },
    ]);
    expect(await mysqlForeignKeys(read, db.name, 'badges')).toEqual([{ direction: 'to', schema: db.name, name: 'people', columns: ['team', 'ssn'] }]);
    expect(await mysqlForeignKeys(read, db.name, 'people')).toEqual([{ direction: 'from', schema: db.name, name: 'badges', columns: ['team', 'ssn'] }]);
  });
});
