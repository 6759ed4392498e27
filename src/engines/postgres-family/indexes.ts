import type { TableIndex } from '../../engine/catalog.js';

/**
 * A table's indexes (exclusion constraints' included) and every column each reads: its key
 * columns, the columns its expressions and predicate use (recorded in pg_depend), and the
 * columns a generated key column is computed from (its pg_attrdef's dependencies). One row
 * per index: name, unique or exclusion, the column names as a JSON array.
 */
export const INDEXES = `
WITH idx AS (
  SELECT x.indexrelid, i.relname, x.indisunique OR x.indisexclusion AS uniq, t.oid AS rel, k.attnum
  FROM pg_catalog.pg_class t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_catalog.pg_index x ON x.indrelid = t.oid
  JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
  CROSS JOIN LATERAL (
    SELECT pg_catalog.unnest(x.indkey::pg_catalog.int2[]) AS attnum
    UNION
    SELECT d.refobjsubid FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = x.indexrelid
      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = t.oid
  ) k
  WHERE n.nspname = $1 AND t.relname = $2
), reads AS (
  SELECT indexrelid, relname, uniq, rel, attnum FROM idx
  UNION
  SELECT idx.indexrelid, idx.relname, idx.uniq, idx.rel, g.refobjsubid
  FROM idx
  JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = idx.rel AND ad.adnum = idx.attnum
  JOIN pg_catalog.pg_depend g ON g.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND g.objid = ad.oid AND g.refobjid = idx.rel
)
SELECT r.relname, r.uniq, pg_catalog.jsonb_agg(DISTINCT a.attname::pg_catalog.text)
FROM reads r
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.rel AND a.attnum = r.attnum AND a.attnum > 0
GROUP BY r.indexrelid, r.relname, r.uniq
`;

export function indexesOf(rows: readonly (readonly unknown[])[]): TableIndex[] {
  return rows.map((row) => ({ name: String(row[0]), unique: row[1] === true, columns: Array.isArray(row[2]) ? row[2].map(String) : [] }));
}
