// Catalog queries about the order rows are read in (authorize/index-order.ts, authorize/family.ts).

/**
 * The columns of every index of a relation and of its descendants (pg_inherits, any depth:
 * a scan of a parent reads its partitions through their own indexes), by name ('*' for an
 * index with an expression or a predicate). INCLUDE columns count too.
 */
export const INDEXED_COLUMNS = `
WITH RECURSIVE rel(oid, depth) AS (
  SELECT c.oid, 0 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2
  UNION ALL
  SELECT i.inhrelid, rel.depth + 1 FROM pg_catalog.pg_inherits i JOIN rel ON i.inhparent = rel.oid WHERE rel.depth < 64
)
SELECT DISTINCT CASE WHEN x.indexprs IS NOT NULL OR x.indpred IS NOT NULL OR a.attname IS NULL THEN '*' ELSE a.attname::pg_catalog.text END
FROM rel
JOIN pg_catalog.pg_index x ON x.indrelid = rel.oid
CROSS JOIN LATERAL pg_catalog.unnest(x.indkey::pg_catalog.int2[]) AS k(attnum)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0`;

/**
 * The columns a table's rows are kept in the order of, which a plain scan follows: those of
 * the index it was CLUSTERed on, and its own partition key (a partitioned table is read
 * partition by partition, in bound order). '*' for an expression.
 */
export const STORAGE_ORDER = `
SELECT COALESCE(a.attname, '*')
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) AS k(attnum)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum AND k.attnum > 0
WHERE n.nspname = $1 AND c.relname = $2 AND i.indisclustered
UNION ALL
SELECT COALESCE(a.attname, '*')
FROM pg_catalog.pg_partitioned_table p
JOIN pg_catalog.pg_class c ON c.oid = p.partrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.unnest(p.partattrs::pg_catalog.int2[]) AS k(attnum)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum AND k.attnum > 0
WHERE n.nspname = $1 AND c.relname = $2`;
