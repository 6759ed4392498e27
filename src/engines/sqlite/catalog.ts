import type { ColumnOrigin, Catalog, ForeignKeyPeer, RelationKin, TableIndex, ViewRead } from '../../engine/catalog.js';

const NO_KIN: RelationKin = { ancestors: [], descendants: [] };
import type { ReadRequest, ReadResult } from '../../engine/source.js';
import type { OriginIds } from '../../engine/origin-ids.js';
import { TtlPromiseCache } from '../../util/ttl-promise-cache.js';
import { readForeignKeys, readIndexes } from './constraints.js';
import { tokenize } from './lexer.js';
import { asciiLower } from './write-rules.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

/** Fixed introspection text, run by the source directly (the client guard refuses sqlite_schema and pragma_*). */
const RELATION_NAMES = "SELECT lower(name) FROM main.sqlite_schema WHERE type IN ('table', 'view')";
const ANY_OBJECT = 'SELECT 1 FROM main.sqlite_schema WHERE lower(name) = lower(?)';
const COLUMNS = 'SELECT name FROM pragma_table_info(?, ?) ORDER BY cid';
/**
 * The primary key columns of a table, in key order, with their declared type and whether the
 * table is WITHOUT ROWID (pragma_table_list.wr).
 */
const PRIMARY_KEY = "SELECT lower(p.name), upper(p.type), t.wr FROM pragma_table_info(?, 'main') p, pragma_table_list(?) t WHERE p.pk > 0 AND t.schema = 'main' ORDER BY p.pk";
/** A view's own CREATE VIEW text, as SQLite keeps it. */
const VIEW_SQL = "SELECT sql FROM main.sqlite_schema WHERE type = 'view' AND lower(name) = lower(?)";

/** Virtual tables (FTS, R*Tree, …): their shadow tables `<name>_*` hold their rows. */
const VIRTUAL_TABLES = "SELECT lower(name) FROM main.sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'";

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };
const TTL_MS = 30_000;

/**
 * Name resolution for a SQLite source: one schema, `main` (ATTACH is refused), so an
 * unqualified name resolves to `main` when such a table or view exists, compared as
 * SQLite compares names. Column origins use the ids the source gives result columns
 * (OriginIds).
 */
export class SqliteCatalog implements Catalog {
  /** SQLite compares column names without regard to (ASCII) case. */
  readonly columnNamesIgnoreCase = true;
  /** An INTEGER PRIMARY KEY is the row id, which these names reach too. */
  readonly rowIdNames = ['rowid', 'oid', '_rowid_'];
  private names: { at: number; set: Promise<Set<string>> } | undefined;
  private virtual: { at: number; set: Promise<Set<string>> } | undefined;
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
    if (this.names === undefined || Date.now() - this.names.at >= TTL_MS) {
      const set = this.read({ sql: RELATION_NAMES, params: [], ...BIG }).then((r) => new Set(r.rows.map((row) => String(row[0]))));
      this.names = { at: Date.now(), set };
      set.catch(() => {
        this.names = undefined;
    this.virtual = undefined;
      });
    }
    return (await this.names.set).has(asciiLower(name)) ? 'main' : undefined;
  }

  async columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]> {
    return this.columns.get(`${schema}\u0000${asciiLower(table)}`, () =>
      this.read({ sql: COLUMNS, params: [table, schema], ...BIG }).then((r) =>
        r.rows.map((row) => {
          const name = String(row[0]).toLowerCase();
          return { name, ...this.origins.of(schema, table, name) };
        }),
      ),
    );
  }

  /**
   * What a view reads, from its own SQL: every name after its AS that is a table or
   * view of `main` counts as read in whole (more than the view may use, never less).
   * SQL that does not tokenize lists the view itself, which the authorize stage denies.
   */
  async viewReads(schema: string, name: string): Promise<readonly ViewRead[] | undefined> {
    if (schema !== 'main') return undefined;
    return this.views.get(asciiLower(name), async () => {
      const found = await this.read({ sql: VIEW_SQL, params: [name], ...BIG });
      if (found.rows.length === 0) return undefined;
      const sql = found.rows[0]?.[0];
      const names = typeof sql === 'string' ? namesAfterAs(sql) : undefined;
      if (names === undefined) return [{ schema, name, columns: '*' }];
      const relations = [];
      // A view cannot read itself: its own name after AS is a column's or an alias.
      names.delete(asciiLower(name));
      for (const candidate of names) if ((await this.resolve(candidate)) !== undefined) relations.push(candidate);
      return relations.map((relation) => ({ schema, name: relation, columns: '*' as const }));
    });
  }

  /**
   * The key a table's b-tree is ordered by, which every scan of it follows (NOT INDEXED too):
   * a WITHOUT ROWID table's primary key, or a rowid table's INTEGER PRIMARY KEY, which is its
   * rowid. Any other primary key is a separate index.
   */
  async storageOrder(schema: string, name: string): Promise<readonly string[]> {
    if (schema !== 'main') return [];
    return this.storage.get(asciiLower(name), async () => {
      const { rows } = await this.read({ sql: PRIMARY_KEY, params: [name, name], ...BIG });
      const withoutRowid = rows.some((row) => Number(row[2]) === 1);
      if (withoutRowid) return rows.map((row) => String(row[0]));
      return rows.length === 1 && rows[0]?.[1] === 'INTEGER' ? [String(rows[0][0])] : [];
    });
  }

  /**
   * A virtual table's shadow tables (`docs_content`, `docs_data` of an FTS table `docs`) hold
   * its rows under other column names: each is listed as holding its virtual table's rows
   * (`opaque`), so it carries that table's rules — and with any column rule there, is denied.
   */
  async family(schema: string, name: string): Promise<RelationKin> {
    if (schema !== 'main') return NO_KIN;
    const virtual = await this.virtualTables();
    const lowered = asciiLower(name);
    if (virtual.has(lowered)) return NO_KIN;
    for (const table of virtual) {
      if (lowered.startsWith(`${table}_`)) return { ancestors: [{ schema: 'main', name: table }], descendants: [], opaque: true };
    }
    return NO_KIN;
  }

  private virtualTables(): Promise<Set<string>> {
    if (this.virtual === undefined || Date.now() - this.virtual.at >= TTL_MS) {
      const set = this.read({ sql: VIRTUAL_TABLES, params: [], ...BIG }).then((r) => new Set(r.rows.map((row) => String(row[0]))));
      this.virtual = { at: Date.now(), set };
      set.catch(() => {
        this.virtual = undefined;
      });
    }
    return this.virtual.set;
  }

  /** A view's CREATE VIEW text as SQLite keeps it (the guard makes the TEMP view that shadows it from it). */
  async viewDefinition(schema: string, name: string): Promise<string | undefined> {
    if (schema !== 'main') return undefined;
    const found = await this.read({ sql: VIEW_SQL, params: [name], ...BIG });
    const sql = found.rows[0]?.[0];
    return typeof sql === 'string' ? sql : undefined;
  }

  /** A table's indexes (constraints.ts): which columns each reads, and whether it is unique. */
  async indexes(schema: string, name: string): Promise<readonly TableIndex[]> {
    if (schema !== 'main') return [];
    return this.indexLists.get(asciiLower(name), () => readIndexes(this.read, name));
  }

  /** The foreign keys between a table and others (constraints.ts). */
  async foreignKeys(schema: string, name: string): Promise<readonly ForeignKeyPeer[]> {
    if (schema !== 'main') return [];
    return this.keys.get(asciiLower(name), () => readForeignKeys(this.read, name));
  }

  async locate(name: string): Promise<string | undefined> {
    const result = await this.read({ sql: ANY_OBJECT, params: [name], maxRows: 1, maxBytes: 4096 });
    return result.rows.length > 0 ? 'main' : undefined;
  }

  creationSchema(): Promise<string | undefined> {
    return Promise.resolve('main');
  }

  /** `main` is the only schema writes reach: `temp` and attached schemas are never changed. */
  isSystemSchema(schema: string): boolean {
    return schema !== 'main';
  }

  invalidate(): void {
    this.names = undefined;
    this.columns.clear();
    this.views.clear();
    this.storage.clear();
    this.indexLists.clear();
    this.keys.clear();
  }
}

/** The names (lower case) in a CREATE VIEW's query, after its first AS; undefined when the text does not tokenize. */
function namesAfterAs(sql: string): Set<string> | undefined {
  let tokens;
  try {
    tokens = tokenize(sql);
  } catch {
    return undefined;
  }
  const as = tokens.findIndex((t) => t.kind === 'word' && asciiLower(t.text) === 'as');
  // SQLite takes a string where it expects a name (`FROM 'employees'`): strings count as names too.
  const text = (t: { kind: string; text: string }): string => (t.kind === 'string' ? t.text.slice(1, -1).replaceAll("''", "'") : t.text);
  return new Set(tokens.slice(as + 1).filter((t) => t.kind === 'word' || t.kind === 'quoted' || t.kind === 'string').map((t) => asciiLower(text(t))));
}
