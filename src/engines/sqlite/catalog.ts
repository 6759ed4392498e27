import type { ColumnOrigin, Catalog } from '../../engine/catalog.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';
import type { OriginIds } from '../../engine/origin-ids.js';
import { TtlPromiseCache } from '../../util/ttl-promise-cache.js';
import { asciiLower } from './write-rules.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

/** Fixed introspection text, run by the source directly (the client guard refuses sqlite_schema and pragma_*). */
const RELATION_NAMES = "SELECT lower(name) FROM main.sqlite_schema WHERE type IN ('table', 'view')";
const ANY_OBJECT = 'SELECT 1 FROM main.sqlite_schema WHERE lower(name) = lower(?)';
const COLUMNS = 'SELECT name FROM pragma_table_info(?, ?) ORDER BY cid';

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };
const TTL_MS = 30_000;

/**
 * Name resolution for a SQLite source: one schema, `main` (ATTACH is refused), so an
 * unqualified name resolves to `main` when such a table or view exists, compared as
 * SQLite compares names. Column origins use the ids the source gives result columns
 * (OriginIds).
 */
export class SqliteCatalog implements Catalog {
  private names: { at: number; set: Promise<Set<string>> } | undefined;
  private readonly columns = new TtlPromiseCache<ColumnOrigin[]>(TTL_MS);

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
  }
}
