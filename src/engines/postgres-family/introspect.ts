import { BastionError } from '../../errors/codes.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';
import type { SchemaInfo, TableInfo, TableDescription } from '../../engine/introspection.js';

/**
 * Catalog queries shared by every Postgres-family source. They are fixed text run
 * through the same READ ONLY path as any query; names and patterns are parameters.
 */
type Read = (request: ReadRequest) => Promise<ReadResult>;

const NOT_SYSTEM = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

const LIST_SCHEMAS = `
SELECT n.nspname AS schema, pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
FROM pg_catalog.pg_namespace n
WHERE ${NOT_SYSTEM} AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
ORDER BY 1`;

const LIST_TABLES = `
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS kind,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${NOT_SYSTEM}
  AND NOT c.relispartition
  AND ($1::text IS NULL OR n.nspname = $1::text)
  AND ($2::text IS NULL OR c.relname ILIKE $2::text)
ORDER BY 1, 2
LIMIT 2000`;

// Constraints leave out contype 'n' (PostgreSQL 18+, PGlite): each column's `nullable` already says NOT NULL.
const DESCRIBE_TABLE = `
WITH rel AS (SELECT pg_catalog.to_regclass($1::text) AS oid)
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'other' END AS kind,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                 'name', a.attname,
                 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                 'nullable', NOT a.attnotnull,
                 'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                 'comment', pg_catalog.col_description(c.oid, a.attnum)) ORDER BY a.attnum), '[]'::jsonb)
          FROM pg_catalog.pg_attribute a
          LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                 'name', k.conname,
                 'type', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique'
                                        WHEN 'f' THEN 'foreign key' WHEN 'c' THEN 'check' ELSE 'other' END,
                 'definition', pg_catalog.pg_get_constraintdef(k.oid)) ORDER BY k.contype, k.conname), '[]'::jsonb)
          FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype <> 'n') AS constraints,
       (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                 'name', ic.relname,
                 'unique', i.indisunique,
                 'definition', pg_catalog.pg_get_indexdef(i.indexrelid)) ORDER BY ic.relname), '[]'::jsonb)
          FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
          WHERE i.indrelid = c.oid) AS indexes
FROM rel
JOIN pg_catalog.pg_class c ON c.oid = rel.oid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`;

const CATALOG_CAPS = { maxRows: 2000, maxBytes: 4 * 1024 * 1024 };

export class PostgresIntrospector {
  constructor(private readonly read: Read) {}

  async listSchemas(): Promise<SchemaInfo[]> {
    const result = await this.read({ sql: LIST_SCHEMAS, params: [], ...CATALOG_CAPS });
    return objects(result) as unknown as SchemaInfo[];
  }

  async listTables(filter: { schema?: string | undefined; pattern?: string | undefined }): Promise<TableInfo[]> {
    const pattern = filter.pattern === undefined ? null : globToLike(filter.pattern);
    const result = await this.read({ sql: LIST_TABLES, params: [filter.schema ?? null, pattern], ...CATALOG_CAPS });
    return objects(result) as unknown as TableInfo[];
  }

  /** `table` is `name`, `schema.name` or a quoted form; PostgreSQL resolves it (to_regclass). */
  async describeTable(table: string): Promise<TableDescription> {
    let result: ReadResult;
    try {
      result = await this.read({ sql: DESCRIBE_TABLE, params: [table], ...CATALOG_CAPS });
    } catch (error) {
      // to_regclass still raises on a malformed name such as 'a.b.c.d'
      if (error instanceof BastionError && error.code === 'QUERY_FAILED') throw new BastionError('TABLE_NOT_FOUND');
      throw error;
    }
    const row = objects(result)[0];
    if (row === undefined) throw new BastionError('TABLE_NOT_FOUND', `No table or view named ${JSON.stringify(table)} is visible.`);
    return row as unknown as TableDescription;
  }
}

function objects(result: ReadResult): Record<string, unknown>[] {
  return result.rows.map((row) => {
    const out: Record<string, unknown> = {};
    result.columns.forEach((column, i) => {
      out[column.name] = row[i];
    });
    return out;
  });
}

/** `*` and `?` as in a shell glob; `%` and `_` keep their LIKE meaning. */
function globToLike(pattern: string): string {
  return pattern.replace(/\*/g, '%').replace(/\?/g, '_');
}
