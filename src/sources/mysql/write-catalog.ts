import type { PoolConnection } from 'mysql2/promise';
import { BastionError } from '../../errors/codes.js';
import type { Expectation } from './write-rules.js';

/**
 * Table names compare byte for byte, as the server does with
 * lower_case_table_names=0 (elsewhere a name that differs in case only is
 * refused, which is strict, never loose). Index and column names are
 * case-insensitive in MySQL, so they compare that way. An unqualified name is in
 * the connection's current database, as the statement will resolve it.
 */
const RELATION = `SELECT t.TABLE_TYPE, t.ENGINE, t.CREATE_OPTIONS, e.TRANSACTIONS
  FROM information_schema.TABLES t LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE
  WHERE CAST(t.TABLE_SCHEMA AS BINARY) = CAST(COALESCE(?, DATABASE()) AS BINARY) AND CAST(t.TABLE_NAME AS BINARY) = CAST(? AS BINARY)`;
const INDEX = `SELECT 1 FROM information_schema.STATISTICS
  WHERE CAST(TABLE_SCHEMA AS BINARY) = CAST(COALESCE(?, DATABASE()) AS BINARY) AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY)
  AND LOWER(INDEX_NAME) = LOWER(?) LIMIT 1`;
const COLUMN = `SELECT 1 FROM information_schema.COLUMNS
  WHERE CAST(TABLE_SCHEMA AS BINARY) = CAST(COALESCE(?, DATABASE()) AS BINARY) AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY)
  AND LOWER(COLUMN_NAME) = LOWER(?) LIMIT 1`;

/** Throws the first expectation the catalog does not meet, with a message that names the object only. */
export async function expectAll(connection: PoolConnection, expectations: readonly Expectation[]): Promise<void> {
  for (const expectation of expectations) {
    if (expectation.kind === 'relation') await expectRelation(connection, expectation);
    else await expectPart(connection, expectation);
  }
}

async function expectRelation(connection: PoolConnection, expected: Extract<Expectation, { kind: 'relation' }>): Promise<void> {
  const [rows] = await connection.query({ sql: RELATION, values: [expected.schema ?? null, expected.name], rowsAsArray: true });
  const row = (rows as unknown[][])[0];
  const name = expected.name;
  if (row === undefined) {
    if (expected.state === 'absent' || expected.state === 'view_or_absent') return;
    throw new BastionError('TABLE_NOT_FOUND', `No ${expected.state} named ${name} is available to you.`);
  }
  const isView = row[0] === 'VIEW';
  if (expected.state === 'absent') throw new BastionError('QUERY_FAILED', `A ${isView ? 'view' : 'table'} named ${name} already exists.`);
  if (expected.state === 'view_or_absent' || expected.state === 'view') {
    if (!isView) throw new BastionError('QUERY_FAILED', `${name} is a table, not a view.`);
    return;
  }
  if (isView || row[0] !== 'BASE TABLE') throw new BastionError('QUERY_FAILED', `${name} is not a base table.`);
  if (expected.transactional === true) {
    const partitioned = typeof row[2] === 'string' && /partitioned/i.test(row[2]);
    if (row[3] !== 'YES' || partitioned) {
      throw new BastionError(
        'WRITE_NOT_ALLOWED',
        `${name} uses ${partitioned ? 'partitioning' : `the ${String(row[1])} engine`}; writes go only to plain tables of a transactional engine (InnoDB), so that a dry run and the row cap can undo them.`,
      );
    }
  }
}

async function expectPart(connection: PoolConnection, expected: Extract<Expectation, { kind: 'index' | 'column' }>): Promise<void> {
  const [rows] = await connection.query({
    sql: expected.kind === 'index' ? INDEX : COLUMN,
    values: [expected.schema ?? null, expected.table, expected.name],
    rowsAsArray: true,
  });
  const found = (rows as unknown[][]).length > 0;
  if (found === expected.exists) return;
  throw new BastionError(
    'QUERY_FAILED',
    expected.exists ? `${expected.table} has no ${expected.kind} named ${expected.name}.` : `${expected.table} already has a ${expected.kind} named ${expected.name}.`,
  );
}
