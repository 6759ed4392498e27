import { BastionError } from '../../errors/codes.js';
import type { Introspector, SchemaInfo, TableDescription, TableInfo } from '../../engine/introspection.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

/** Fixed introspection text; names and patterns are parameters. Run by the source, never by a client. */
const LIST_TABLES = `
SELECT name, type FROM main.sqlite_schema
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND (?1 IS NULL OR name LIKE ?1)
ORDER BY name LIMIT 2000`;
const FIND = "SELECT name, type FROM main.sqlite_schema WHERE type IN ('table', 'view') AND lower(name) = lower(?) AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
const COLUMNS = 'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?, \'main\') ORDER BY cid';
const FOREIGN_KEYS = 'SELECT id, "from", "table", "to", on_update, on_delete FROM pragma_foreign_key_list(?, \'main\') ORDER BY id, seq';
const INDEXES = `
SELECT il.name, il."unique", il.origin, group_concat(ii.name, ', ') AS columns
FROM pragma_index_list(?1, 'main') AS il LEFT JOIN pragma_index_info(il.name, 'main') AS ii
GROUP BY il.seq ORDER BY il.name`;

const CAPS = { maxRows: 2000, maxBytes: 4 * 1024 * 1024 };

/** list_schemas, list_tables and describe_table for a SQLite file: one schema, `main`. */
export class SqliteIntrospector implements Introspector {
  constructor(private readonly read: Read) {}

  listSchemas(): Promise<SchemaInfo[]> {
    return Promise.resolve([{ schema: 'main', comment: null }]);
  }

  async listTables(filter: { schema?: string | undefined; pattern?: string | undefined }): Promise<TableInfo[]> {
    if (filter.schema !== undefined && filter.schema !== 'main') return [];
    const pattern = filter.pattern === undefined ? null : filter.pattern.replace(/\*/g, '%').replace(/\?/g, '_');
    const result = await this.read({ sql: LIST_TABLES, params: [pattern], ...CAPS });
    // Row counts would need a full scan per table: reported as unknown.
    return result.rows.map((row) => ({ schema: 'main', name: String(row[0]), kind: String(row[1]), row_estimate: null, comment: null }));
  }

  async describeTable(table: string): Promise<TableDescription> {
    const dot = table.indexOf('.');
    const schema = dot === -1 ? 'main' : table.slice(0, dot);
    const name = dot === -1 ? table : table.slice(dot + 1);
    const found = schema.toLowerCase() === 'main' ? (await this.read({ sql: FIND, params: [name], ...CAPS })).rows[0] : undefined;
    if (found === undefined) throw new BastionError('TABLE_NOT_FOUND', `No table or view named ${JSON.stringify(table)} is visible.`);
    const real = String(found[0]);
    const [columns, keys, indexes] = await Promise.all([
      this.read({ sql: COLUMNS, params: [real], ...CAPS }),
      this.read({ sql: FOREIGN_KEYS, params: [real], ...CAPS }),
      this.read({ sql: INDEXES, params: [real], ...CAPS }),
    ]);
    const primary = columns.rows.filter((r) => Number(r[4]) > 0).sort((a, b) => Number(a[4]) - Number(b[4])).map((r) => String(r[0]));
    const constraints: TableDescription['constraints'] = [];
    if (primary.length > 0) constraints.push({ name: `${real}_pkey`, type: 'primary key', definition: `PRIMARY KEY (${primary.join(', ')})` });
    for (const [id, rows] of groupBy(keys.rows, (r) => Number(r[0]))) {
      const first = rows[0] ?? [];
      constraints.push({
        name: `${real}_fkey_${id}`,
        type: 'foreign key',
        definition: `FOREIGN KEY (${rows.map((r) => String(r[1])).join(', ')}) REFERENCES ${String(first[2])}(${rows.map((r) => text(r[3])).join(', ')}) ON UPDATE ${String(first[4])} ON DELETE ${String(first[5])}`,
      });
    }
    return {
      schema: 'main',
      name: real,
      kind: String(found[1]),
      row_estimate: null,
      comment: null,
      columns: columns.rows.map((r) => ({
        name: String(r[0]),
        type: text(r[1]),
        nullable: Number(r[2]) === 0 && Number(r[4]) === 0,
        default: r[3] === null || r[3] === undefined ? null : text(r[3]),
        comment: null,
      })),
      constraints,
      indexes: indexes.rows.map((r) => ({
        name: String(r[0]),
        unique: Number(r[1]) === 1,
        definition: `${Number(r[1]) === 1 ? 'UNIQUE ' : ''}INDEX ON ${real} (${text(r[3])})${r[2] === 'pk' ? ' [primary key]' : ''}`,
      })),
    };
  }
}

/** A catalog value as text: these columns hold text or numbers, never objects. */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value) : '';
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
