/** What list_schemas, list_tables and describe_table answer, the same on every engine. */
export interface SchemaInfo {
  schema: string;
  comment: string | null;
}

export interface TableInfo {
  schema: string;
  name: string;
  kind: string;
  row_estimate: number | null;
  comment: string | null;
}

export interface TableDescription extends TableInfo {
  columns: { name: string; type: string; nullable: boolean; default: string | null; comment: string | null }[];
  constraints: { name: string; type: string; definition: string }[];
  indexes: { name: string; unique: boolean; definition: string }[];
}

/** The catalog reads behind list_* and describe_table. */
export interface Introspector {
  listSchemas(): Promise<SchemaInfo[]>;
  listTables(filter: { schema?: string | undefined; pattern?: string | undefined }): Promise<TableInfo[]>;
  /** `table` is `name` or `schema.name`; throws TABLE_NOT_FOUND when there is none. */
  describeTable(table: string): Promise<TableDescription>;
}
