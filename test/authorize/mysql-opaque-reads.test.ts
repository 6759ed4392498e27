/**
 * MariaDB/MySQL reads a role with rules cannot see through: a view calling a stored function
 * (whose body its definition does not show, and which information_schema.ROUTINES hides
 * from a login without EXECUTE), a view over information_schema, and information_schema
 * itself where the source serves it (its TABLES, COLUMNS and STATISTICS describe denied
 * tables and columns, and how often protected values repeat). Bastion connects as a login
 * with SELECT and SHOW VIEW only. Judged by effect: no planted value or hidden name appears
 * in any answer, while a role without rules, on the same login, gets them.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, MYSQL_ADMIN_URL, type TestMysqlDatabase } from '../helpers/mariadb.js';

const SALARY = 987654;
const SECRET_TABLE = 'payroll_secret_x';

const SETUP = [
  'CREATE TABLE employees (id INTEGER PRIMARY KEY, name VARCHAR(50), ssn VARCHAR(20), salary INTEGER, KEY by_ssn (ssn))',
  'CREATE TABLE projects (id INTEGER PRIMARY KEY, title VARCHAR(50))',
  `CREATE TABLE ${SECRET_TABLE} (id INTEGER PRIMARY KEY)`,
  `INSERT INTO employees VALUES (1, 'Zed', '987-65-4321', ${SALARY}), (2, 'Amy', '111-11-1111', 50000)`,
  "INSERT INTO projects VALUES (1, 'a'), (2, 'b')",
  'CREATE FUNCTION top_sal() RETURNS INT READS SQL DATA SQL SECURITY DEFINER RETURN (SELECT max(salary) FROM employees)',
  'CREATE VIEW v_fn AS SELECT top_sal() AS x',
  'CREATE VIEW v_builtin AS SELECT count(*) AS n, max(id) AS m, concat(upper(title), \'!\') AS t FROM projects GROUP BY title',
  'CREATE VIEW v_catalog AS SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
];

const ANALYST = { id: 'p:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };
const ADMIN = { id: 'p:admin', kind: 'local' as const, role: 'admin', scopes: [] };

function leaks(result: CallToolResult): string[] {
  const text = JSON.stringify(result);
  return [String(SALARY), SECRET_TABLE, 'by_ssn', '"ssn"'].filter((v) => text.includes(v));
}

describe.skipIf(!mariadb.ok)('MariaDB reads a role with rules cannot see through', () => {
  let db: TestMysqlDatabase;
  let bastion: TestBastion;
  let admin: Awaited<ReturnType<typeof openSession>>;
  const user = `bastion_names_${randomBytes(4).toString('hex')}`;
  let loginUrl = '';
  beforeAll(async () => {
    db = await createMysqlDatabase();
    for (const sql of SETUP) await db.admin(sql);
    const password = randomBytes(12).toString('hex');
    // A login that may read and see view definitions, but not EXECUTE routines.
    await db.admin(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await db.admin(`GRANT SELECT, SHOW VIEW ON \`${db.name}\`.* TO '${user}'@'%'`);
    const url = new URL(MYSQL_ADMIN_URL);
    url.username = user;
    url.password = password;
    url.pathname = `/${db.name}`;
    loginUrl = url.toString();
    const roles = {
      analyst: {
        tools: ['query'],
        tables: { allow: [`${db.name}.*`, 'information_schema.*'], deny: [`${db.name}.${SECRET_TABLE}`] },
        columns: { deny: [`${db.name}.employees.ssn`], mask: { [`${db.name}.employees.salary`]: 'null' } },
      },
    };
    const sources = { main: { engine: 'mysql', url: url.toString(), schemas: [db.name, 'information_schema'] } };
    bastion = await startBastion({ sources, roles }, ANALYST);
    admin = await openSession(bastion.ctx, ADMIN);
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    await bastion?.close();
    const root = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
    await root.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
    await root.end();
    await db?.drop();
  });

  it('the login sees no routine in information_schema, yet the view over one answers the real maximum (the premise)', async () => {
    const login = await mysql.createConnection({ uri: loginUrl });
    try {
      const [routines] = await login.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()');
      expect(Number(routines[0]?.['n'])).toBe(0);
    } finally {
      await login.end();
    }
    expect(rowsOf(await admin.call('query', { sql: 'SELECT x FROM v_fn' })).map((r) => Number(r[0]))).toEqual([SALARY]);
  });

  it('a view calling a stored function is hidden from a role with rules like a denied table, its value never shown', async () => {
    for (const sql of ['SELECT * FROM v_fn', 'SELECT x FROM (SELECT x FROM v_fn) s', 'SELECT count(*) FROM v_fn WHERE x > 900000']) {
      const result = await bastion.call('query', { sql });
      expect(errorCode(result), sql).toBe('TABLE_NOT_FOUND');
      expect(leaks(result)).toEqual([]);
    }
  });

  it('a view over built-in functions only stays readable', async () => {
    expect(rowsOf(await bastion.call('query', { sql: 'SELECT n, m, t FROM v_builtin ORDER BY m' })).map((r) => String(r[2]))).toEqual(['A!', 'B!']);
  });

  it('information_schema, served by the source, is refused to a role with rules and shows no hidden table, column or count', async () => {
    const probes = [
      'SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
      'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
      'SELECT INDEX_NAME, CARDINALITY FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()',
      'SELECT count(*) FROM INFORMATION_SCHEMA.tables t WHERE t.TABLE_NAME LIKE \'payroll%\'',
    ];
    for (const sql of probes) {
      const result = await bastion.call('query', { sql });
      // Refused: by this rule, or (another case of the name) as a relation no rule allows.
      expect(['DENIED_BY_POLICY', 'TABLE_NOT_FOUND'], sql).toContain(errorCode(result));
      expect(leaks(result)).toEqual([]);
    }
    const view = await bastion.call('query', { sql: 'SELECT * FROM v_catalog' });
    expect(errorCode(view)).toBe('TABLE_NOT_FOUND');
    expect(leaks(view)).toEqual([]);
  });

  it('a role without rules still reads information_schema on this source', async () => {
    const names = rowsOf(await admin.call('query', { sql: 'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()' })).map((r) => String(r[0]));
    expect(names).toContain(SECRET_TABLE);
  });
});
