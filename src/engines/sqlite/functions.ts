/**
 * Functions a client statement may call on a SQLite source: side-effect-free core,
 * date, math, JSON, aggregate and window functions. Everything else is refused —
 * load_extension, readfile/writefile/edit (CLI extensions), fts3_tokenizer, the
 * sqlite_* introspection functions, pragma_* table-valued functions, and blob
 * builders (zeroblob, randomblob) that allocate whatever size they are asked for.
 */
export const SQLITE_ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  // core scalar
  'abs', 'char', 'coalesce', 'concat', 'concat_ws', 'format', 'glob', 'hex', 'ifnull', 'iif', 'if', 'instr',
  'length', 'like', 'likelihood', 'likely', 'lower', 'ltrim', 'max', 'min', 'nullif', 'octet_length', 'printf',
  'quote', 'random', 'replace', 'round', 'rtrim', 'sign', 'soundex', 'substr', 'substring', 'trim', 'typeof',
  'unhex', 'unicode', 'unlikely', 'upper',
  // date and time
  'date', 'time', 'datetime', 'julianday', 'unixepoch', 'strftime', 'timediff',
  // math
  'acos', 'acosh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'ceil', 'ceiling', 'cos', 'cosh', 'degrees', 'exp',
  'floor', 'ln', 'log', 'log10', 'log2', 'mod', 'pi', 'pow', 'power', 'radians', 'sin', 'sinh', 'sqrt', 'tan',
  'tanh', 'trunc',
  // aggregate
  'avg', 'count', 'group_concat', 'string_agg', 'sum', 'total', 'median', 'percentile', 'percentile_cont',
  'percentile_disc',
  // window
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value',
  // JSON (json_each and json_tree are table-valued)
  'json', 'jsonb', 'json_array', 'jsonb_array', 'json_array_length', 'json_error_position', 'json_extract',
  'jsonb_extract', 'json_insert', 'jsonb_insert', 'json_object', 'jsonb_object', 'json_patch', 'jsonb_patch',
  'json_pretty', 'json_remove', 'jsonb_remove', 'json_replace', 'jsonb_replace', 'json_set', 'jsonb_set',
  'json_type', 'json_valid', 'json_quote', 'json_group_array', 'jsonb_group_array', 'json_group_object',
  'jsonb_group_object', 'json_each', 'json_tree',
]);

/**
 * SQLite's keywords. A keyword followed by `(` is syntax (`IN (`, `OVER (`, `CAST (`),
 * not a call; every other name followed by `(` is a function and must be allowed.
 */
export const SQLITE_KEYWORDS: ReadonlySet<string> = new Set(
  (
    'ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY ' +
    'CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE ' +
    'CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP ' +
    'EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM ' +
    'FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD ' +
    'INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL ' +
    'NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE ' +
    'RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ' +
    'ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE ' +
    'UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT'
  ).split(' '),
);

/**
 * Type names that take a size, `DECIMAL(10,2)` in CAST or a column: syntax, not a
 * call. SQLite has no function by any of these names, so reading one as a type
 * can never let a call through.
 */
export const SQLITE_SIZED_TYPES: ReadonlySet<string> = new Set(
  'VARCHAR NVARCHAR NCHAR CHARACTER VARYING NATIVE DECIMAL NUMERIC FLOAT DOUBLE PRECISION REAL INT INTEGER BIGINT SMALLINT TINYINT MEDIUMINT TEXT CLOB BLOB BOOLEAN'.split(' '),
);

/** Relations a client may never read: DDL text, page-level statistics, other schemas' catalogs. */
export function isDeniedRelation(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('sqlite_') || lower.startsWith('pragma_') || lower === 'dbstat';
}
