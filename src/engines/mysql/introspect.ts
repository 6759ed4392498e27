import { BastionError } from '../../errors/codes.js';
import type { Introspector, SchemaInfo, TableDescription, TableInfo } from '../../engine/introspection.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';
import { DatabaseScope } from './scope.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

const SYSTEM = "('mysql', 'performance_schema', 'sys', 'information_schema')";
const KIND = "CASE TABLE_TYPE WHEN 'VIEW' THEN 'view' WHEN 'SYSTEM VIEW' THEN 'view' ELSE 'table' END";

/**
 * `AND <column> IN (the served databases)`, compared byte for byte as the server
 * stores names; empty when the source serves every database. Only placeholders
 * are written into the text: the names travel as parameters.
 */
function servedFilter(column: string, served: readonly string[] | undefined): string {
  if (served === undefined) return '';
  return `AND CAST(${column} AS BINARY) IN (${served.map(() => 'CAST(? AS BINARY)').join(', ')})`;
}

const listSchemas = (served: readonly string[] | undefined): string =>
  `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ${SYSTEM} ${servedFilter('SCHEMA_NAME', served)} ORDER BY 1`;
const listTables = (served: readonly string[] | undefined): string => `
SELECT TABLE_SCHEMA, TABLE_NAME, ${KIND}, TABLE_ROWS, NULLIF(TABLE_COMMENT, '')
FROM information_schema.TABLES
WHERE TABLE_SCHEMA NOT IN ${SYSTEM}
  ${servedFilter('TABLE_SCHEMA', served)}
  AND (? IS NULL OR TABLE_SCHEMA = ?)
  AND (? IS NULL OR TABLE_NAME LIKE ?)
ORDER BY 1, 2
LIMIT 2000`;
const TABLE = `
SELECT TABLE_SCHEMA, TABLE_NAME, ${KIND}, TABLE_ROWS, NULLIF(TABLE_COMMENT, '')
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND TABLE_SCHEMA NOT IN ${SYSTEM}`;
const COLUMNS = `
SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, NULLIF(COLUMN_COMMENT, '')
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`;
const CONSTRAINTS = `
SELECT tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE,
       GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', '),
       MAX(k.REFERENCED_TABLE_SCHEMA), MAX(k.REFERENCED_TABLE_NAME),
       GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', ')
FROM information_schema.TABLE_CONSTRAINTS tc
LEFT JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
 AND k.TABLE_SCHEMA = tc.TABLE_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME
WHERE tc.TABLE_SCHEMA = ? AND tc.TABLE_NAME = ?
GROUP BY tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE
ORDER BY 2, 1`;
const INDEXES = `
SELECT INDEX_NAME, MIN(NON_UNIQUE), GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', '), MAX(INDEX_TYPE)
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
GROUP BY INDEX_NAME ORDER BY 1`;

const CAPS = { maxRows: 2000, maxBytes: 4 * 1024 * 1024 };

const str = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value);
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * list_schemas, list_tables and describe_table over information_schema, through
 * the read path, limited to the databases the source serves (scope.ts).
 */
export class MysqlIntrospector implements Introspector {
  private readonly served: readonly string[];
  private readonly listSchemasSql: string;
  private readonly listTablesSql: string;

  constructor(
    private readonly read: Read,
    private readonly scope: DatabaseScope = new DatabaseScope(undefined, undefined),
  ) {
    this.served = scope.served ?? [];
    this.listSchemasSql = listSchemas(scope.served);
    this.listTablesSql = listTables(scope.served);
  }

  async listSchemas(): Promise<SchemaInfo[]> {
    const result = await this.read({ sql: this.listSchemasSql, params: [...this.served], ...CAPS });
    return result.rows.map((row) => ({ schema: String(row[0]), comment: null }));
  }

  async listTables(filter: { schema?: string | undefined; pattern?: string | undefined }): Promise<TableInfo[]> {
    const schema = filter.schema ?? null;
    const pattern = filter.pattern === undefined ? null : filter.pattern.replace(/\*/g, '%').replace(/\?/g, '_');
    const result = await this.read({ sql: this.listTablesSql, params: [...this.served, schema, schema, pattern, pattern], ...CAPS });
    return result.rows.map(tableInfo);
  }

  /** `table` is `name` (in the current database) or `database.name`, either part optionally in backticks. */
  async describeTable(table: string): Promise<TableDescription> {
    const parts = splitName(table);
    if (parts === undefined) throw new BastionError('TABLE_NOT_FOUND', `No table or view named ${JSON.stringify(table)} is visible.`);
    const found = await this.read({ sql: TABLE, params: [parts.schema ?? null, parts.name], ...CAPS });
    const row = found.rows[0];
    // Judged on the database the server found, as it stores the name.
    if (row === undefined || !this.scope.serves(String(row[0]))) throw new BastionError('TABLE_NOT_FOUND', `No table or view named ${JSON.stringify(table)} is visible.`);
    const info = tableInfo(row);
    const where = [info.schema, info.name];
    const [columns, constraints, indexes] = await Promise.all([
      this.read({ sql: COLUMNS, params: where, ...CAPS }),
      this.read({ sql: CONSTRAINTS, params: where, ...CAPS }),
      this.read({ sql: INDEXES, params: where, ...CAPS }),
    ]);
    return {
      ...info,
      columns: columns.rows.map((c) => ({ name: String(c[0]), type: String(c[1]), nullable: c[2] === 'YES', default: str(c[3]), comment: str(c[4]) })),
      constraints: constraints.rows.map((c) => ({ name: String(c[0]), type: String(c[1]).toLowerCase(), definition: constraintDefinition(c) })),
      indexes: indexes.rows.map((i) => ({ name: String(i[0]), unique: Number(i[1]) === 0, definition: `USING ${String(i[3])} (${String(i[2])})` })),
    };
  }
}

function tableInfo(row: readonly unknown[]): TableInfo {
  return { schema: String(row[0]), name: String(row[1]), kind: String(row[2]), row_estimate: num(row[3]), comment: str(row[4]) };
}

function constraintDefinition(row: readonly unknown[]): string {
  const type = String(row[1]);
  const columns = str(row[2]) ?? '';
  if (type === 'FOREIGN KEY') return `FOREIGN KEY (${columns}) REFERENCES ${String(row[3])}.${String(row[4])} (${str(row[5]) ?? ''})`;
  if (type === 'CHECK') return 'CHECK';
  return `${type} (${columns})`;
}

function splitName(table: string): { schema: string | undefined; name: string } | undefined {
  const parts = table.match(/^(?:(`[^`]+`|[^.`]+)\.)?(`[^`]+`|[^.`]+)$/);
  if (parts === null) return undefined;
  const clean = (part: string | undefined): string | undefined => (part === undefined ? undefined : part.replace(/^`|`$/g, ''));
  return { schema: clean(parts[1]), name: clean(parts[2]) ?? table };
}
