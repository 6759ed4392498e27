import type { ColumnOrigin, Catalog, ForeignKeyPeer, TableIndex, ViewRead } from '../../engine/catalog.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';
import type { OriginIds } from '../../engine/origin-ids.js';
import { TtlPromiseCache } from '../../util/ttl-promise-cache.js';
import { ALLOWED_FUNCTIONS, PAREN_KEYWORDS } from './functions.js';
import { scanMysql } from './lexer.js';
import { readForeignKeys, readIndexes } from './constraints.js';
import { tokenize } from './tokens.js';
import { isSystemDatabase } from './write-rules.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

/** Unqualified names resolve to the connection's current database, as MySQL resolves them. */
const CURRENT_TABLES = `SELECT TABLE_NAME, TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`;
/**
 * A table, view or index name in the current database, compared byte for byte as
 * the server does with lower_case_table_names=0 (a name differing in case only is
 * not found: strict, never loose). Index names are unique per table only; the
 * policy requires their table to carry the prefix too (DROP INDEX ... ON t).
 */
const LOCATE = `SELECT TABLE_SCHEMA FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = DATABASE() AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY)
  UNION ALL SELECT TABLE_SCHEMA FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA = DATABASE() AND CAST(INDEX_NAME AS BINARY) = CAST(? AS BINARY) LIMIT 1`;
const COLUMNS = `SELECT COLUMN_NAME, COALESCE(GENERATION_EXPRESSION, '') <> '' FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`;
/** A partitioned table is read partition by partition: its rows come in the order of the partitioning expression. */
const PARTITION_EXPRESSIONS = `SELECT DISTINCT PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION FROM information_schema.PARTITIONS
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND PARTITION_EXPRESSION IS NOT NULL`;
const CURRENT_DATABASE = 'SELECT DATABASE()';
/**
 * The primary key's columns, and those of every unique key whose columns are all NOT NULL
 * (NULLABLE = ''): without a primary key, InnoDB clusters the table by the first such key.
 * A key part on an expression has no COLUMN_NAME.
 */
const CLUSTER_KEYS = `SELECT INDEX_NAME, COLUMN_NAME, NULLABLE FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`;
/** A view's stored definition: the server writes it back with every table name qualified (`db`.`t`). */
const VIEW_DEFINITION = `SELECT VIEW_DEFINITION FROM information_schema.VIEWS
  WHERE CAST(TABLE_SCHEMA AS BINARY) = CAST(? AS BINARY) AND CAST(TABLE_NAME AS BINARY) = CAST(? AS BINARY)`;
/** Which of some (database, name) pairs are tables or views; the pairs are bound as parameters. */
const EXISTING = (pairs: number): string =>
  `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE (TABLE_SCHEMA, TABLE_NAME) IN (${Array.from({ length: pairs }, () => '(?, ?)').join(', ')})`;
/** Whether any of some (database, name) pairs is a stored function or procedure: a view calling one may read anything. */
const ROUTINES = (pairs: number): string =>
  `SELECT 1 FROM information_schema.ROUTINES WHERE (ROUTINE_SCHEMA, ROUTINE_NAME) IN (${Array.from({ length: pairs }, () => '(?, ?)').join(', ')}) LIMIT 1`;
/** At most this many names of a definition are looked up; a view naming more is treated as reading what cannot be checked. */
const MAX_NAMES = 2000;

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };
const TTL_MS = 30_000;

/**
 * Name resolution for the authorize stage, over information_schema through the
 * source's read path. Column origins use the ids the source reports for result
 * columns (OriginIds), so masking finds them. Statements cannot change the current
 * database (USE and SET are refused), so the cached resolution is the one they get.
 */
export class MysqlCatalog implements Catalog {
  /** MySQL compares column names without regard to case, whatever lower_case_table_names says. */
  readonly columnNamesIgnoreCase = true;
  /** `_rowid` is a single-column integer primary key under another name. */
  readonly rowIdNames = ['_rowid'];
  private loaded: { at: number; resolve: Map<string, string> } | undefined;
  private loading: Promise<Map<string, string>> | undefined;
  private readonly columns = new TtlPromiseCache<ColumnOrigin[]>(TTL_MS);
  private readonly views = new TtlPromiseCache<readonly ViewRead[] | undefined>(TTL_MS);
  private readonly storage = new TtlPromiseCache<readonly string[]>(TTL_MS);
  private readonly indexLists = new TtlPromiseCache<readonly TableIndex[]>(TTL_MS);
  private readonly keys = new TtlPromiseCache<readonly ForeignKeyPeer[]>(TTL_MS);

  constructor(
    private readonly read: Read,
    private readonly origins: OriginIds,
  ) {}

  async resolve(name: string): Promise<string | undefined> {
    if (this.loaded !== undefined && Date.now() - this.loaded.at < TTL_MS) return this.loaded.resolve.get(name);
    return (await this.refresh()).get(name);
  }

  async columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]> {
    return this.columns.get(`${schema}\u0000${table}`, () =>
      this.read({ sql: COLUMNS, params: [schema, table], ...BIG }).then((r) =>
        r.rows.map((row) => {
          const name = String(row[0]);
          return { name, ...this.origins.of(schema, table, name), ...(Number(row[1]) === 1 ? { generated: true } : {}) };
        }),
      ),
    );
  }

  /**
   * What a view reads. MariaDB has no VIEW_TABLE_USAGE, so the stored definition is
   * read and every name in it that is an existing table or view counts as read in
   * whole: more than the view may use (a column named like a table), never less. A
   * definition this server does not show (no SHOW VIEW), one that calls a function that
   * is not an allowed built-in (a stored function's body records nothing the view shows,
   * and information_schema.ROUTINES hides it from a login without EXECUTE), or one that
   * reads a system database lists the view itself, which the authorize stage treats as
   * unreadable.
   */
  async viewReads(schema: string, name: string): Promise<readonly ViewRead[] | undefined> {
    return this.views.get(`${schema}\u0000${name}`, async () => {
      const found = await this.read({ sql: VIEW_DEFINITION, params: [schema, name], ...BIG });
      if (found.rows.length === 0) return undefined;
      const stored = found.rows[0]?.[0];
      const definition = typeof stored === 'string' && stored !== '' ? stored : undefined;
      if (definition === undefined || callsUnknown(definition)) return [{ schema, name, columns: '*' }];
      // A view cannot read itself: its own name in the definition is a column's or an alias.
      const candidates = namesIn(definition, schema).filter(([db, t]) => db !== schema || t !== name);
      if (candidates.length > MAX_NAMES) return [{ schema, name, columns: '*' }];
      if (candidates.length === 0) return [];
      // A stored function's body records nothing the view shows: a view calling one is unreadable.
      const calls = await this.read({ sql: ROUTINES(candidates.length), params: candidates.flat(), maxRows: 1, maxBytes: 4096 });
      if (calls.rows.length > 0) return [{ schema, name, columns: '*' }];
      const existing = await this.read({ sql: EXISTING(candidates.length), params: candidates.flat(), ...BIG });
      if (existing.rows.some((row) => isSystemDatabase(String(row[0])))) return [{ schema, name, columns: '*' }];
      return existing.rows.map((row) => ({ schema: String(row[0]), name: String(row[1]), columns: '*' as const }));
    });
  }

  /**
   * The key InnoDB stores a table's rows in, which a full scan follows: its primary key, or
   * without one, the columns of every unique key whose columns are all NOT NULL (InnoDB takes
   * the first; which one is first is not asked). Other storage engines are treated alike.
   */
  async storageOrder(schema: string, table: string): Promise<readonly string[]> {
    return this.storage.get(`${schema}\u0000${table}`, async () => {
      const { rows } = await this.read({ sql: CLUSTER_KEYS, params: [schema, table], ...BIG });
      const keys = new Map<string, { columns: string[]; nullable: boolean }>();
      for (const [index, column, nullable] of rows) {
        const key = keys.get(String(index)) ?? { columns: [], nullable: false };
        key.columns.push(typeof column === 'string' ? column : '*');
        key.nullable ||= nullable === 'YES';
        keys.set(String(index), key);
      }
      const primary = keys.get('PRIMARY');
      const clustered = primary !== undefined ? primary.columns : [...keys.values()].filter((key) => !key.nullable).flatMap((key) => key.columns);
      // The partitioning expressions' columns (backquoted names; '*' when none can be read).
      const parts = await this.read({ sql: PARTITION_EXPRESSIONS, params: [schema, table], ...BIG });
      const partitioned = parts.rows.flatMap((row) =>
        row.filter((expression): expression is string => typeof expression === 'string').flatMap((expression) => {
          const names = [...expression.matchAll(/`((?:[^`]|``)+)`/g)].map((m) => (m[1] ?? '').replaceAll('``', '`'));
          return names.length > 0 ? names : ['*'];
        }),
      );
      return [...clustered, ...partitioned];
    });
  }

  /** A table's indexes (constraints.ts): which columns each reads, and whether it is unique. */
  indexes(schema: string, name: string): Promise<readonly TableIndex[]> {
    return this.indexLists.get(`${schema}\u0000${name}`, () => readIndexes(this.read, schema, name));
  }

  /** The foreign keys between a table and others (constraints.ts). */
  foreignKeys(schema: string, name: string): Promise<readonly ForeignKeyPeer[]> {
    return this.keys.get(`${schema}\u0000${name}`, () => readForeignKeys(this.read, schema, name));
  }

  async locate(name: string): Promise<string | undefined> {
    const result = await this.read({ sql: LOCATE, params: [name, name], maxRows: 1, maxBytes: 4096 });
    const schema = result.rows[0]?.[0];
    return typeof schema === 'string' ? schema : undefined;
  }

  async creationSchema(): Promise<string | undefined> {
    const result = await this.read({ sql: CURRENT_DATABASE, params: [], maxRows: 1, maxBytes: 4096 });
    const schema = result.rows[0]?.[0];
    return typeof schema === 'string' ? schema : undefined;
  }

  /** mysql, sys, performance_schema and information_schema: never written, whatever the case. */
  isSystemSchema(schema: string): boolean {
    return isSystemDatabase(schema);
  }

  /** The same databases describe the server and every table on it: unreadable to a role with rules unless named. */
  isCatalogSchema(schema: string): boolean {
    return isSystemDatabase(schema);
  }

  invalidate(): void {
    this.loaded = undefined;
    this.columns.clear();
    this.views.clear();
    this.storage.clear();
    this.indexLists.clear();
    this.keys.clear();
  }

  private refresh(): Promise<Map<string, string>> {
    this.loading ??= this.read({ sql: CURRENT_TABLES, params: [], ...BIG })
      .then((result) => {
        const resolve = new Map(result.rows.map((row) => [String(row[0]), String(row[1])]));
        this.loaded = { at: Date.now(), resolve };
        return resolve;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}

/**
 * Whether a view's definition calls anything but an allowed built-in: a quoted or qualified
 * `name(` (as the server writes a stored function back: `db`.`f`()), or a name neither on
 * the allow-list nor a keyword that takes parentheses. Text that does not scan counts as one.
 */
function callsUnknown(definition: string): boolean {
  let calls: readonly string[];
  try {
    calls = scanMysql(definition).calls;
  } catch {
    return true;
  }
  return calls.some((call) => call.startsWith('.') || call.startsWith('`') || !(ALLOWED_FUNCTIONS.has(call) || PAREN_KEYWORDS.has(call)));
}

/**
 * Every (database, name) a definition could mean by a name: `a`.`b` as database a,
 * table b, and any single name as a table of the view's own database.
 */
function namesIn(definition: string, database: string): [string, string][] {
  const tokens = tokenize(definition);
  const names = new Map<string, [string, string]>();
  const add = (db: string, table: string): void => void names.set(`${db}\u0000${table}`, [db, table]);
  tokens.forEach((token, i) => {
    if (token.kind !== 'word' && token.kind !== 'quoted') return;
    add(database, token.text);
    const next = tokens[i + 2];
    if (tokens[i + 1]?.text === '.' && tokens[i + 1]?.kind === 'punct' && (next?.kind === 'word' || next?.kind === 'quoted')) add(token.text, next.text);
  });
  return [...names.values()];
}
