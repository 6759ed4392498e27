import type { PoolConnection } from 'mysql2/promise';
import { BastionError } from '../../errors/codes.js';
import { isPunct, tokenize, type Token } from './tokens.js';
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

/**
 * The views, triggers and routines whose text mentions a name at all (the
 * connection's user sees the text of those it may see); referencesIn decides on
 * their tokens. A table's own triggers are left out when they go with it.
 */
const MENTIONS = `SELECT 'view', TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS
  WHERE LOCATE(?, LOWER(VIEW_DEFINITION)) > 0
  AND NOT (CAST(TABLE_SCHEMA AS BINARY) = CAST(? AS BINARY) AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY))
UNION ALL SELECT 'trigger', TRIGGER_SCHEMA, TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS
  WHERE LOCATE(?, LOWER(ACTION_STATEMENT)) > 0
  AND NOT (? AND CAST(EVENT_OBJECT_SCHEMA AS BINARY) = CAST(? AS BINARY) AND CAST(EVENT_OBJECT_TABLE AS BINARY) = CAST(? AS BINARY))
UNION ALL SELECT 'routine', ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES
  WHERE LOCATE(?, LOWER(ROUTINE_DEFINITION)) > 0`;

/** Throws the first expectation the catalog does not meet, with a message that names the object only. */
export async function expectAll(connection: PoolConnection, expectations: readonly Expectation[]): Promise<void> {
  for (const expectation of expectations) {
    if (expectation.kind === 'relation') await expectRelation(connection, expectation);
    else if (expectation.kind === 'unreferenced') await expectUnreferenced(connection, expectation);
    else await expectPart(connection, expectation);
  }
}

/**
 * MySQL keeps no dependencies: it drops or renames a table, view, column or index
 * that a view, trigger or routine uses, and that object fails on its next use.
 * Refused before the change runs (its DDL commits implicitly, so there is no
 * undoing it after). The message does not name the object that refers to it.
 */
async function expectUnreferenced(connection: PoolConnection, expected: Extract<Expectation, { kind: 'unreferenced' }>): Promise<void> {
  const schema = expected.schema ?? (await currentDatabase(connection));
  if (schema === undefined) return;
  const needle = expected.name.toLowerCase();
  const [rows] = await connection.query({
    sql: MENTIONS,
    values: [needle, schema, expected.name, needle, expected.ownTriggersGo === true, schema, expected.name, needle],
    rowsAsArray: true,
  });
  for (const [kind, home, , text] of rows as [string, string, string, string | null][]) {
    if (text === null) continue;
    // A view is stored normalized (qualified names, no comments) and read on its tokens.
    // A trigger or routine body is kept as written, with comments and the sql_mode of
    // its creation: any mention of the name as a word counts, refusing more, never less.
    const refers = kind === 'view' ? referencesIn(tokenize(text), home, schema, expected.name, expected.part) : mentionsIn(text, home, schema, expected.name, expected.part);
    if (!refers) continue;
    const what = expected.part === undefined ? expected.name : `${expected.name}.${expected.part}`;
    throw new BastionError(
      'WRITE_NOT_ALLOWED',
      `A view, trigger or routine that this change does not name uses ${what}; MySQL would let the change break it. Nothing was changed. Change or drop that object first.`,
    );
  }
}

async function currentDatabase(connection: PoolConnection): Promise<string | undefined> {
  const [rows] = await connection.query({ sql: 'SELECT DATABASE()', rowsAsArray: true });
  const name = (rows as unknown[][])[0]?.[0];
  return typeof name === 'string' ? name : undefined;
}

/**
 * Whether a trigger or routine body that lives in `home` mentions `name` (and, with
 * `part`, also that column or index) as a whole word anywhere, comments and strings
 * included; a body in another database must also mention `schema`.
 */
export function mentionsIn(text: string, home: string, schema: string, name: string, part?: string): boolean {
  const word = (w: string): boolean => new RegExp(`(^|[^A-Za-z0-9_$\u0080-\uffff])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_$\u0080-\uffff])`, 'iu').test(text);
  if (!word(name)) return false;
  if (home.toLowerCase() !== schema.toLowerCase() && !word(schema)) return false;
  return part === undefined || word(part);
}

/**
 * Whether the tokens of a definition that lives in `home` name `schema`.`name`
 * (qualified, as MySQL stores a view, or unqualified in the same database) and,
 * with `part`, also that column or index anywhere. Names compare ignoring case:
 * a name that differs in case only counts, which refuses more, never less.
 */
export function referencesIn(tokens: readonly Token[], home: string, schema: string, name: string, part?: string): boolean {
  const same = (token: Token | undefined, text: string): boolean =>
    (token?.kind === 'word' || token?.kind === 'quoted') && token.text.toLowerCase() === text.toLowerCase();
  const named = tokens.some((token, i) => {
    if (!same(token, name)) return false;
    if (!isPunct(tokens[i - 1], '.')) return home.toLowerCase() === schema.toLowerCase();
    return same(tokens[i - 2], schema);
  });
  return named && (part === undefined || tokens.some((token) => same(token, part)));
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
