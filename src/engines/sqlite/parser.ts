/** The slice of node-sql-parser this guard uses, typed locally. */
export interface SqlParser {
  astify(sql: string, options: { database: string }): unknown;
}

/** Loads the SQLite grammar of node-sql-parser (only when a SQLite source is configured). */
export async function loadSqliteParser(): Promise<SqlParser> {
  const module = (await import('node-sql-parser/build/sqlite.js')) as unknown as { default: { Parser: new () => SqlParser } };
  return new module.default.Parser();
}
