// sqlite_schema inside the SQLite worker process: snapshots, what a statement changed in it,
// the views and triggers a schema change would break, and the definition of a created object.
import type { Database } from './worker-rows.js';

const SNAPSHOT = 'SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY type, name';
const TOTAL_CHANGES = 'SELECT total_changes()';
const OBJECT_SQL = 'SELECT sql FROM main.sqlite_schema WHERE lower(name) = ? AND sql IS NOT NULL';
const TABLE_INDEXES_SQL = "SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND lower(tbl_name) = ? AND lower(name) <> ? AND sql IS NOT NULL ORDER BY name";
const WRITABLE_COLUMNS = 'SELECT name FROM pragma_table_xinfo(?, ?) WHERE hidden = 0';
const FOREIGN_PARENTS = 'SELECT DISTINCT "table" FROM pragma_foreign_key_list(?, ?)';

type SchemaRow = [type: string, name: string, tblName: string, sql: string | null];

export function snapshot(database: Database): SchemaRow[] {
  return database.prepare(SNAPSHOT).raw(true).all() as SchemaRow[];
}

export function totalChanges(database: Database): number {
  return Number(database.prepare(TOTAL_CHANGES).pluck().get());
}

/** SQLite folds only ASCII letters when it compares names. */
export function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The `type name` of every sqlite_schema row that appeared, disappeared or changed
 * and whose name and table are both outside `touches`. sqlite_sequence may appear
 * (the first AUTOINCREMENT table creates it), never change or go.
 */
export function schemaChanges(before: SchemaRow[], after: SchemaRow[], touches: readonly string[]): string[] {
  const key = (row: SchemaRow): string => `${row[0]} ${row[1]}`;
  const old = new Map(before.map((row) => [key(row), row]));
  const now = new Map(after.map((row) => [key(row), row]));
  const touched = (row: SchemaRow | undefined): boolean => row === undefined || touches.includes(foldName(row[1])) || touches.includes(foldName(row[2]));
  const outside: string[] = [];
  for (const name of new Set([...old.keys(), ...now.keys()])) {
    const was = old.get(name);
    const is = now.get(name);
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    if (was === undefined && name === 'table sqlite_sequence') continue;
    if (!touched(was) || !touched(is)) outside.push(name);
  }
  return outside;
}

/**
 * SQLite records no dependencies: dropping an owned table, view or index, or
 * changing an owned table, can leave a view or trigger that is not the change's
 * own naming what is gone, and SQLite only notices when that object is next used.
 * So every view and trigger outside `touches` is compiled before and after a
 * schema change: a view by selecting from it, a trigger by preparing (never
 * running) the INSERT, UPDATE of every column and DELETE that would fire it, and a
 * table's foreign keys by finding each parent table (SQLite compiles an INSERT into
 * a table whose parent is gone; the INSERT fails when it runs). The map holds each
 * probe's outcome: undefined when it compiled, else SQLite's error.
 */
export function dependents(database: Database, rows: SchemaRow[], touches: readonly string[]): Map<string, string | undefined> {
  const outcomes = new Map<string, string | undefined>();
  const probe = (key: string, sql: () => string): void => {
    if (outcomes.has(key)) return;
    try {
      database.prepare(sql());
      outcomes.set(key, undefined);
    } catch (error) {
      outcomes.set(key, error instanceof Error ? error.message : String(error));
    }
  };
  const tables = new Set(rows.filter(([type]) => type === 'table').map(([, name]) => foldName(name)));
  for (const [type, name, tblName] of rows) {
    // A trigger on a table the change names is probed too (a human trigger on an owned
    // table can break when its columns change); one that goes with its table has no
    // probe after the change, so it does not count.
    if (touches.includes(foldName(name))) continue;
    if (type === 'table') {
      const parents = database.prepare(FOREIGN_PARENTS).pluck().all(name, 'main') as string[];
      const missing = parents.filter((parent) => !tables.has(foldName(parent)));
      outcomes.set(`table ${name} foreign keys`, missing.length === 0 ? undefined : `no such table: ${missing.join(', ')}`);
      // A parent key that lost its unique index fails when the INSERT is prepared ("foreign key mismatch").
      if (parents.length > 0) probe(`table ${name} insert`, () => `INSERT INTO main.${quoteName(name)} DEFAULT VALUES`);
    }
    if (type === 'view') probe(`view ${name}`, () => `SELECT * FROM main.${quoteName(name)} LIMIT 0`);
    if (type !== 'trigger') continue;
    const target = `main.${quoteName(tblName)}`;
    probe(`trigger ${name} insert`, () => `INSERT INTO ${target} DEFAULT VALUES`);
    probe(`trigger ${name} delete`, () => `DELETE FROM ${target} WHERE 0`);
    probe(`trigger ${name} update`, () => {
      const columns = (database.prepare(WRITABLE_COLUMNS).pluck().all(tblName, 'main') as string[]).map(quoteName);
      return `UPDATE ${target} SET ${columns.map((c) => `${c} = ${c}`).join(', ')} WHERE 0`;
    });
  }
  return outcomes;
}

/** The probes that compiled before the change and fail after it. */
export function brokenSince(before: Map<string, string | undefined>, after: Map<string, string | undefined>): string[] {
  const broken: string[] = [];
  for (const [key, error] of after) {
    if (error !== undefined && before.has(key) && before.get(key) === undefined) broken.push(`${key} (${error})`);
  }
  return broken;
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The SQL of the object (and of a table's indexes) as sqlite_schema holds it now; only an object the plan touches. */
export function definitionOf(database: Database, name: string, touches: readonly string[], maxBytes: number): string | undefined {
  const folded = foldName(name);
  if (!touches.includes(folded)) return undefined;
  const own = database.prepare(OBJECT_SQL).pluck().all(folded) as string[];
  if (own.length === 0) return undefined;
  const indexes = database.prepare(TABLE_INDEXES_SQL).pluck().all(folded, folded) as string[];
  const definition = [...own, ...indexes].map((sql) => `${sql};`).join('\n');
  // Past the byte cap the cut is marked, never silent.
  return definition.length <= maxBytes ? definition : `${definition.slice(0, maxBytes)}\n-- [cut at ${maxBytes} characters (limits.max_bytes): the definition goes on]`;
}
