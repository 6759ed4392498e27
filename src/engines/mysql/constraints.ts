import type { ForeignKeyPeer, TableIndex } from '../../engine/catalog.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };

/**
 * A table's index key parts. A functional key part (MySQL 8) has no column name, and a
 * generated column stands for whatever its expression reads: both come back as NULL, which
 * counts as every column.
 */
const INDEXES = `SELECT s.INDEX_NAME, s.NON_UNIQUE,
    CASE WHEN COALESCE(c.GENERATION_EXPRESSION, '') = '' THEN s.COLUMN_NAME END
  FROM information_schema.STATISTICS s
  LEFT JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
  WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ?`;

/** Foreign keys from the table (`to` the table it references) and to it (`from` a table that references it). */
const FOREIGN_KEYS = `SELECT 'to', REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, CONSTRAINT_NAME, REFERENCED_COLUMN_NAME, ORDINAL_POSITION
  FROM information_schema.KEY_COLUMN_USAGE
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL
  UNION ALL
  SELECT 'from', TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION
  FROM information_schema.KEY_COLUMN_USAGE
  WHERE REFERENCED_TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?
  ORDER BY 1, 2, 3, 4, 6`;

export async function readIndexes(read: Read, schema: string, name: string): Promise<TableIndex[]> {
  const result = await read({ sql: INDEXES, params: [schema, name], ...BIG });
  const indexes = new Map<string, { name: string; unique: boolean; columns: string[] | '*' }>();
  for (const row of result.rows) {
    const index = indexes.get(String(row[0])) ?? { name: String(row[0]), unique: Number(row[1]) === 0, columns: [] };
    if (typeof row[2] !== 'string') index.columns = '*';
    else if (index.columns !== '*') index.columns.push(row[2]);
    indexes.set(index.name, index);
  }
  return [...indexes.values()];
}

export async function readForeignKeys(read: Read, schema: string, name: string): Promise<ForeignKeyPeer[]> {
  const result = await read({ sql: FOREIGN_KEYS, params: [schema, name, schema, name], ...BIG });
  const keys = new Map<string, { direction: 'to' | 'from'; schema: string; name: string; columns: string[] }>();
  for (const row of result.rows) {
    const direction = row[0] === 'to' ? 'to' : 'from';
    const peer = { schema: String(row[1]), name: String(row[2]) };
    // One constraint, one peer: its columns in the key's order.
    const id = JSON.stringify([direction, peer.schema, peer.name, row[3]]);
    const key = keys.get(id) ?? { direction, ...peer, columns: [] };
    key.columns.push(String(row[4]));
    keys.set(id, key);
  }
  return [...keys.values()];
}
