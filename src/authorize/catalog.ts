import type { ReadRequest, ReadResult } from '../sources/source.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

export interface ColumnOrigin {
  name: string;
  tableOid: number;
  attnum: number;
}

const SEARCH_PATH = 'SELECT pg_catalog.current_schemas(true)::text[] AS path';
const RELATIONS = `
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY (pg_catalog.current_schemas(true))`;
const COLUMNS = `
SELECT a.attname, c.oid::int8 AS table_oid, a.attnum
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };
const TTL_MS = 30_000;

interface Snapshot {
  at: number;
  /** relname → schema it resolves to first on the search path. */
  resolve: Map<string, string>;
}

/**
 * What the database would resolve a name to, as the source's connection (and
 * role) sees it: the search path and the relations on it, refreshed every 30 s,
 * and each table's column names. Statements cannot change the search path (SET
 * and set_config are refused), so the cached resolution is the one they get.
 */
export class RelationCatalog {
  private snapshot: Promise<Snapshot> | undefined;
  private readonly columns = new Map<string, { at: number; names: Promise<ColumnOrigin[]> }>();

  constructor(private readonly read: Read) {}

  /** The schema an unqualified name resolves to, or undefined when no relation has that name. */
  async resolve(name: string): Promise<string | undefined> {
    return (await this.current()).resolve.get(name);
  }

  async columnsOf(schema: string, table: string): Promise<string[]> {
    return (await this.columnOrigins(schema, table)).map((c) => c.name);
  }

  /** Each column with the table OID and attribute number PostgreSQL reports for it in results. */
  async columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]> {
    const key = `${schema}\u0000${table}`;
    const cached = this.columns.get(key);
    if (cached !== undefined && Date.now() - cached.at < TTL_MS) return cached.names;
    const names = this.read({ sql: COLUMNS, params: [schema, table], ...BIG }).then((r) =>
      r.rows.map((row) => ({ name: String(row[0]), tableOid: Number(row[1]), attnum: Number(row[2]) })),
    );
    this.columns.set(key, { at: Date.now(), names });
    names.catch(() => this.columns.delete(key));
    return names;
  }

  private current(): Promise<Snapshot> {
    const existing = this.snapshot;
    if (existing !== undefined) {
      return existing.then((s) => (Date.now() - s.at < TTL_MS ? s : this.refresh()));
    }
    return this.refresh();
  }

  private refresh(): Promise<Snapshot> {
    const loading = this.load();
    this.snapshot = loading;
    loading.catch(() => {
      if (this.snapshot === loading) this.snapshot = undefined;
    });
    return loading;
  }

  private async load(): Promise<Snapshot> {
    const [path, relations] = await Promise.all([this.read({ sql: SEARCH_PATH, params: [], ...BIG }), this.read({ sql: RELATIONS, params: [], ...BIG })]);
    const order = parseTextArray(path.rows[0]?.[0]);
    const rank = new Map(order.map((schema, i) => [schema, i]));
    const resolve = new Map<string, string>();
    for (const [schema, name] of relations.rows as [string, string][]) {
      const current = resolve.get(name);
      if (current === undefined || (rank.get(schema) ?? Infinity) < (rank.get(current) ?? Infinity)) resolve.set(name, schema);
    }
    return { at: Date.now(), resolve };
  }
}

/** Parses PostgreSQL's text form of a text[] such as {pg_catalog,public,"my schema"}. */
export function parseTextArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || value.length < 2) return [];
  const out: string[] = [];
  const body = value.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    let item = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        item += body[i] ?? '';
        i++;
      }
      i++;
    } else {
      while (i < body.length && body[i] !== ',') item += body[i++];
    }
    out.push(item);
    if (body[i] === ',') i++;
  }
  return out;
}
