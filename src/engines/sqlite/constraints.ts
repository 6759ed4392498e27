import type { ForeignKeyPeer, TableIndex } from '../../engine/catalog.js';
import type { ReadRequest, ReadResult } from '../../engine/source.js';
import { tokenize } from './lexer.js';
import { asciiLower } from './write-rules.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };

/** Each key column of each index (cid -2: an expression), with the index's own SQL for expressions and predicates. */
const INDEX_COLUMNS = `SELECT il.name, il."unique", il.partial, il.origin, ii.cid, ii.name, m.sql
  FROM pragma_index_list(?, 'main') il
  JOIN pragma_index_xinfo(il.name, 'main') ii ON ii.key = 1
  LEFT JOIN main.sqlite_schema m ON m.type = 'index' AND m.name = il.name`;
/** The table's columns: `pk` for the key of a rowid table (INTEGER PRIMARY KEY has no index), `hidden` 2 and 3 for generated ones. */
const TABLE_COLUMNS = `SELECT lower(name), pk, hidden FROM pragma_table_xinfo(?, 'main')`;
const KEYS_TO = `SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?, 'main') ORDER BY id, seq`;
const KEYS_FROM = `SELECT m.name, f.id, f."from" FROM main.sqlite_schema m JOIN pragma_foreign_key_list(m.name, 'main') f
  WHERE m.type = 'table' AND lower(f."table") = lower(?) ORDER BY m.name, f.id, f.seq`;

interface Column {
  readonly name: string;
  readonly pk: number;
  readonly generated: boolean;
}

async function tableColumns(read: Read, name: string): Promise<Column[]> {
  const result = await read({ sql: TABLE_COLUMNS, params: [name], ...BIG });
  return result.rows.map((row) => ({ name: String(row[0]), pk: Number(row[1]), generated: Number(row[2]) === 2 || Number(row[2]) === 3 }));
}

/**
 * A table's indexes and the columns each reads (lower case). An expression or a partial
 * index's predicate reads every column its SQL names (more than it may use, never less);
 * a generated column stands for whatever its expression reads ('*'). A rowid table's
 * INTEGER PRIMARY KEY is unique without an index of its own: it is listed as `PRIMARY KEY`.
 */
export async function readIndexes(read: Read, name: string): Promise<TableIndex[]> {
  const columns = await tableColumns(read, name);
  const generated = new Set(columns.filter((c) => c.generated).map((c) => c.name));
  const known = new Set(columns.map((c) => c.name));
  const result = await read({ sql: INDEX_COLUMNS, params: [name], ...BIG });
  const indexes = new Map<string, { name: string; unique: boolean; columns: string[] | '*'; origin: string }>();
  for (const row of result.rows) {
    const index = indexes.get(String(row[0])) ?? { name: String(row[0]), unique: Number(row[1]) === 1, columns: [], origin: String(row[3]) };
    indexes.set(index.name, index);
    const column = typeof row[5] === 'string' ? asciiLower(row[5]) : undefined;
    const named = Number(row[4]) === -2 || Number(row[2]) === 1 ? namesIn(row[6], known) : [];
    if (index.columns === '*') continue;
    if (named === undefined || (column !== undefined && generated.has(column)) || named.some((c) => generated.has(c))) {
      index.columns = '*';
      continue;
    }
    index.columns.push(...(column === undefined ? [] : [column]), ...named);
  }
  const list: TableIndex[] = [...indexes.values()].map(({ name: index, unique, columns: read }) => ({ name: index, unique, columns: read === '*' ? '*' : [...new Set(read)] }));
  const key = columns.filter((c) => c.pk > 0).map((c) => c.name);
  if (key.length > 0 && ![...indexes.values()].some((index) => index.origin === 'pk')) list.push({ name: 'PRIMARY KEY', unique: true, columns: key });
  return list;
}

/** The table's columns named in an index's SQL; undefined when there is no SQL to read. */
function namesIn(sql: unknown, known: ReadonlySet<string>): string[] | undefined {
  if (typeof sql !== 'string') return undefined;
  try {
    return tokenize(sql)
      .filter((t) => t.kind === 'word' || t.kind === 'quoted')
      .map((t) => asciiLower(t.text))
      .filter((word) => known.has(word));
  } catch {
    return undefined;
  }
}

/** The foreign keys between a table and others; a key naming no parent columns means the parent's primary key. */
export async function readForeignKeys(read: Read, name: string): Promise<ForeignKeyPeer[]> {
  const peers = new Map<string, { direction: 'to' | 'from'; schema: string; name: string; columns: string[] }>();
  const add = (direction: 'to' | 'from', peer: string, id: unknown, column: string): void => {
    const key = JSON.stringify([direction, asciiLower(peer), id]);
    const entry = peers.get(key) ?? { direction, schema: 'main', name: asciiLower(peer), columns: [] };
    entry.columns.push(asciiLower(column));
    peers.set(key, entry);
  };
  for (const row of (await read({ sql: KEYS_TO, params: [name], ...BIG })).rows) {
    const parent = String(row[1]);
    if (typeof row[3] === 'string') add('to', parent, row[0], row[3]);
    else for (const column of (await tableColumns(read, parent)).filter((c) => c.pk > 0)) add('to', parent, row[0], column.name);
  }
  for (const row of (await read({ sql: KEYS_FROM, params: [name], ...BIG })).rows) add('from', String(row[0]), row[1], String(row[2]));
  return [...peers.values()];
}
