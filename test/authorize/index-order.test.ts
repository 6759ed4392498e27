/**
 * Row order must not follow an index on a protected column (found by an independent attacker):
 * `SELECT id FROM t` read as an index-only scan of an index on (ssn, id) returns ids in the
 * order of the real ssn values — a yes/no question about them. A role with rules runs its
 * statements without index-only scans (plain index scans: index-scan-order.test.ts). On
 * PostgreSQL, where VACUUM sets the visibility map that makes index-only scans attractive; on
 * MariaDB/MySQL, which has no such switch, a protected table is read with `IGNORE INDEX` for
 * every index on a protected column.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';

const ROLES = { analyst: { tools: ['query'], tables: { allow: ['idx.*'] }, columns: { deny: ['idx.people.ssn'] } } };
const ANALYST: Principal = { id: 'p:analyst', kind: 'api_key', role: 'analyst', scopes: [] };
const ADMIN: Principal = { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] };

describe.skipIf(!postgres.ok)('row order and an index on a denied column (PostgreSQL)', () => {
  let db: TestDatabase;
  let bastion: TestBastion;
  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    await db.admin('CREATE SCHEMA idx');
    // Wide rows, no other index, a narrow one on the denied column: an index-only scan is the cheapest full read.
    await db.admin("CREATE TABLE idx.people (id int NOT NULL, ssn text NOT NULL, filler text NOT NULL DEFAULT repeat('x', 900))");
    await db.admin("INSERT INTO idx.people (id, ssn) SELECT i, md5(i::text) FROM generate_series(1, 3000) AS i");
    await db.admin('CREATE INDEX people_ssn_id ON idx.people (ssn, id)');
    await db.admin('VACUUM ANALYZE idx.people');
    bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url } }, roles: ROLES }, ANALYST);
  }, 60_000);
  afterAll(async () => {
    await bastion?.close();
    await db?.drop();
  });

  it('the role with rules gets ids in no order of the denied values', async () => {
    const admin = await openSession(bastion.ctx, ADMIN);
    let bySsn: unknown[][];
    try {
      bySsn = rowsOf(await admin.call('query', { sql: 'SELECT id FROM idx.people ORDER BY ssn, id LIMIT 50' }));
    } finally {
      await admin.close();
    }
    // A full read: the narrow index is far cheaper to scan than the wide rows.
    const seen = rowsOf(await bastion.call('query', { sql: 'SELECT id FROM idx.people' })).slice(0, 50);
    expect(seen).toHaveLength(50);
    expect(seen).not.toEqual(bySsn);
    const all = rowsOf(await bastion.call('query', { sql: 'SELECT string_agg(id::text, \',\') FROM idx.people' }));
    expect(String(all[0]?.[0]).split(',').slice(0, 50).map(Number)).not.toEqual(bySsn.map((r) => Number(r[0])));
  });
});

describe.skipIf(!mariadb.ok)('row order and an index on a denied column (MariaDB/MySQL)', () => {
  let db: TestMysqlDatabase;
  let bastion: TestBastion;
  beforeAll(async () => {
    db = await createMysqlDatabase();
    // Wide rows, a narrow index on the denied column: a covering scan of it is the cheapest full read.
    await db.admin("CREATE TABLE people (id INT PRIMARY KEY, ssn VARCHAR(40) NOT NULL, filler VARCHAR(500) NOT NULL DEFAULT '')");
    await db.admin(
      "INSERT INTO people (id, ssn, filler) WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 49) SELECT a.i * 50 + b.i + 1, MD5(a.i * 50 + b.i + 1), REPEAT('x', 400) FROM d a, d b",
    );
    await db.admin('CREATE INDEX people_ssn_id ON people (ssn, id)');
    await db.admin('ANALYZE TABLE people');
    const roles = { analyst: { tools: ['query'], tables: { allow: [`${db.name}.*`] }, columns: { deny: [`${db.name}.people.ssn`] } } };
    bastion = await startBastion({ sources: { main: { engine: 'mysql', url: db.url } }, roles }, ANALYST);
  }, 60_000);
  afterAll(async () => {
    await bastion?.close();
    await db?.drop();
  });

  it('the role with rules gets ids in no order of the denied values: a full read, LIMIT 1, GROUP_CONCAT', async () => {
    const admin = await openSession(bastion.ctx, ADMIN);
    let bySsn: number[];
    try {
      bySsn = rowsOf(await admin.call('query', { sql: 'SELECT id FROM people ORDER BY ssn, id LIMIT 50' })).map((r) => Number(r[0]));
      // Unrestricted, the covering scan of the index on ssn is the plan: the order the role must not see.
      expect(rowsOf(await admin.call('query', { sql: 'SELECT id FROM people LIMIT 50' })).map((r) => Number(r[0]))).toEqual(bySsn);
    } finally {
      await admin.close();
    }
    const seen = rowsOf(await bastion.call('query', { sql: 'SELECT id FROM people LIMIT 50' })).map((r) => Number(r[0]));
    expect(seen).toHaveLength(50);
    expect(seen).not.toEqual(bySsn);
    const first = rowsOf(await bastion.call('query', { sql: 'SELECT id FROM people LIMIT 1' }));
    expect(Number(first[0]?.[0])).not.toBe(bySsn[0]);
    const all = rowsOf(await bastion.call('query', { sql: 'SELECT GROUP_CONCAT(id) FROM people' }));
    expect(String(all[0]?.[0]).split(',').slice(0, 50).map(Number)).not.toEqual(bySsn);
    const inner = rowsOf(await bastion.call('query', { sql: 'SELECT x FROM (SELECT id AS x FROM people) s LIMIT 50' })).map((r) => Number(r[0]));
    expect(inner).not.toEqual(bySsn);
  });
});
