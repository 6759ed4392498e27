import type { ReadRequest, ReadResult } from '../../engine/source.js';
import { TtlPromiseCache } from '../../util/ttl-promise-cache.js';
import { NEVER_ALLOWED_FUNCTIONS } from './policy/function-allowlist.js';
import { DENIED_SYSTEM_RELATIONS } from './policy/nodes.js';
import { FUNCTION_SOURCES, functionReadsOf } from './function-reads.js';
import type { ColumnOrigin, ForeignKeyPeer, RelationKin, RelationName, TableIndex, ViewRead } from '../../engine/catalog.js';
import { INDEXES, indexesOf } from './indexes.js';
import { INDEXED_COLUMNS, STORAGE_ORDER } from './order-sql.js';

type Read = (request: ReadRequest) => Promise<ReadResult>;

/** Each relation name on the search path, with the schema PostgreSQL resolves it to: the first on the path. */
const RESOLUTION = `
SELECT DISTINCT ON (c.relname) c.relname, n.nspname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS p(nspname, pos) ON p.nspname = n.nspname
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname, p.pos`;
const COLUMNS = `
SELECT a.attname, c.oid::int8 AS table_oid, a.attnum, a.attgenerated <> '' AS generated
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/**
 * What a view or materialized view reads, from the dependencies PostgreSQL records
 * for its rewrite rule: one row per column used anywhere in its query (a relation of
 * which no column is used, as in count(*), comes with attname NULL). A whole-row value
 * (`row_to_json(t)`) records no column, so the rule's query tree is asked whether it
 * holds a whole-row Var (varattno 0): then every relation counts as wholly read. A
 * relation that is not a view returns no row; a view that reads nothing, one row of NULLs.
 * A function or operator of its own that the view calls may read anything, and its body
 * records no dependency (calls_user_code); a built-in that no statement may call (SQL
 * given as a string, files: NEVER_ALLOWED_FUNCTIONS) would do in the view what the policy
 * refuses in a statement. Built-ins are pinned, so pg_depend never lists them: they are
 * found by the function ids in the rule's query tree (calls_refused, $3). Either makes
 * the view unreadable. Catalog relations are pinned too: those the query tree names
 * (`:relid`) come as system_reads, each read in whole.
 */
const VIEW_READS = `
SELECT rn.nspname, rc.relname, a.attname,
       r.ev_action::pg_catalog.text OPERATOR(pg_catalog.~) ':varattno 0[ }]' AS whole_row,
       EXISTS (
         SELECT 1 FROM pg_catalog.pg_depend f
         LEFT JOIN pg_catalog.pg_proc p ON f.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid = f.refobjid
         LEFT JOIN pg_catalog.pg_operator o ON f.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = f.refobjid
         LEFT JOIN pg_catalog.pg_proc op ON op.oid = o.oprcode
         JOIN pg_catalog.pg_namespace fn ON fn.oid = COALESCE(p.pronamespace, op.pronamespace)
         WHERE f.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND f.objid = r.oid
           AND fn.nspname NOT IN ('pg_catalog', 'information_schema')
       ) AS calls_user_code,
       EXISTS (
         SELECT 1 FROM pg_catalog.regexp_matches(r.ev_action::pg_catalog.text, ':(?:funcid|aggfnoid|winfnoid|opfuncid) (\\d+)', 'g') AS m(id)
         JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) (m.id[1])::pg_catalog.oid
         WHERE p.proname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($3::pg_catalog.text[])
       ) AS calls_refused,
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(sn.nspname, sc.relname))
        FROM (SELECT DISTINCT (m.id[1])::pg_catalog.oid AS oid
              FROM pg_catalog.regexp_matches(r.ev_action::pg_catalog.text, ':relid (\\d+)', 'g') AS m(id)) ids
        JOIN pg_catalog.pg_class sc ON sc.oid = ids.oid
        JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
        WHERE sn.nspname IN ('pg_catalog', 'information_schema')) AS system_reads
FROM pg_catalog.pg_class v
JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_catalog.pg_rewrite r ON r.ev_class = v.oid
LEFT JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid OPERATOR(pg_catalog.<>) v.oid
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = rc.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
WHERE vn.nspname = $1 AND v.relname = $2 AND v.relkind IN ('v', 'm')`;

const REFUSED_FUNCTIONS = [...NEVER_ALLOWED_FUNCTIONS];

/**
 * The relations that hold rows of a table, or whose rows it returns, through pg_inherits
 * (inheritance children and partitions alike), at any depth: its descendants ('down'), whose
 * rows it returns, and the ancestors of it and of every descendant ('up') — a child with two
 * parents holds rows of both, so the rules of either apply to it wherever it is read. PostgreSQL
 * forbids cycles; the depth bound is a second guard. Partitioned indexes also inherit; only
 * relations count. `keys` are the partition key columns of every ancestor ('*' for a key on an
 * expression): which partition a row is in tells something about them.
 */
const FAMILY = `
WITH RECURSIVE self AS (
  SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2
), down(oid, depth) AS (
  SELECT i.inhrelid, 1 FROM pg_catalog.pg_inherits i JOIN self ON i.inhparent = self.oid
  UNION ALL
  SELECT i.inhrelid, down.depth + 1 FROM pg_catalog.pg_inherits i JOIN down ON i.inhparent = down.oid WHERE down.depth < 64
), own_up(oid, depth) AS (
  SELECT i.inhparent, 1 FROM pg_catalog.pg_inherits i JOIN self ON i.inhrelid = self.oid
  UNION ALL
  SELECT i.inhparent, own_up.depth + 1 FROM pg_catalog.pg_inherits i JOIN own_up ON i.inhrelid = own_up.oid WHERE own_up.depth < 64
), up(oid, depth) AS (
  SELECT i.inhparent, 1 FROM pg_catalog.pg_inherits i JOIN (SELECT oid FROM self UNION SELECT oid FROM down) m ON i.inhrelid = m.oid
  UNION ALL
  SELECT i.inhparent, up.depth + 1 FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.oid WHERE up.depth < 64
)
SELECT DISTINCT k.direction, n.nspname, c.relname, NULL::pg_catalog.text AS key
FROM (SELECT 'up' AS direction, oid FROM up UNION ALL SELECT 'down', oid FROM down) k
JOIN pg_catalog.pg_class c ON c.oid = k.oid AND c.relkind IN ('r', 'p', 'f')
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT DISTINCT 'key', NULL, NULL, CASE WHEN a.attname IS NULL THEN '*' ELSE a.attname::pg_catalog.text END
FROM own_up
JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = own_up.oid
CROSS JOIN LATERAL pg_catalog.unnest(p.partattrs::pg_catalog.int2[]) AS k(attnum)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum AND k.attnum > 0`;

/**
 * Casts whose function is neither built in nor part of an installed extension: PostgreSQL
 * picks a cast by its source and target types (implicitly too), whatever the search path.
 */
const UNTRUSTED_CASTS = `
SELECT pg_catalog.format('%s → %s through %I.%I', c.castsource::pg_catalog.regtype, c.casttarget::pg_catalog.regtype, n.nspname, p.proname)
FROM pg_catalog.pg_cast c
JOIN pg_catalog.pg_proc p ON p.oid = c.castfunc
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
ORDER BY 1`;

/**
 * A view's definition as PostgreSQL prints it. Asked with the search path pinned to
 * pg_catalog (ReadRequest.pinnedNames), so every name outside pg_catalog comes qualified:
 * the text means the same inside a statement that runs pinned.
 */
const VIEW_DEFINITION = `
SELECT pg_catalog.pg_get_viewdef(c.oid, false)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('v', 'm')`;

/** The foreign keys from and to a table, with the other table's columns in each. */
const FOREIGN_KEYS = `
SELECT CASE WHEN k.conrelid = t.oid THEN 'to' ELSE 'from' END, n.nspname, c.relname,
       pg_catalog.jsonb_agg(a.attname::pg_catalog.text ORDER BY a.attnum)
FROM pg_catalog.pg_class t
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_catalog.pg_constraint k ON k.contype = 'f' AND (k.conrelid = t.oid OR k.confrelid = t.oid)
JOIN pg_catalog.pg_class c ON c.oid = CASE WHEN k.conrelid = t.oid THEN k.confrelid ELSE k.conrelid END
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
 AND a.attnum = ANY (CASE WHEN k.conrelid = t.oid THEN k.confkey ELSE k.conkey END)
WHERE tn.nspname = $1 AND t.relname = $2
GROUP BY k.oid, 1, n.nspname, c.relname`;

/** The schema PostgreSQL finds a relation of any kind (index included) in, searching the path as it would. */
const LOCATE = `
SELECT n.nspname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN unnest(pg_catalog.current_schemas(true)) WITH ORDINALITY AS p(nspname, pos) ON p.nspname = n.nspname
WHERE c.relname = $1
ORDER BY p.pos
LIMIT 1`;
/** Where an unqualified CREATE puts its object; NULL when no schema on the path exists. */
const CREATION_SCHEMA = 'SELECT pg_catalog.current_schema()';

const BIG = { maxRows: 100_000, maxBytes: 32 * 1024 * 1024 };
const TTL_MS = 30_000;

interface Snapshot {
  at: number;
  /** relname → schema it resolves to first on the search path. */
  resolve: Map<string, string>;
}

/**
 * What the database would resolve a name to, as the source's connection (and
 * role) sees it: the relations on its search path, refreshed every 30 s, and each
 * table's columns. Statements cannot change the search path (SET and set_config
 * are refused), so the cached resolution is the one they get.
 */
export class RelationCatalog {
  private loaded: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  private readonly columns = new TtlPromiseCache<ColumnOrigin[]>(TTL_MS);
  private readonly views = new TtlPromiseCache<readonly ViewRead[] | undefined>(TTL_MS);
  private readonly families = new TtlPromiseCache<RelationKin>(TTL_MS);
  private readonly casts = new TtlPromiseCache<readonly string[]>(TTL_MS);
  private readonly functions = new TtlPromiseCache<readonly ViewRead[] | undefined>(TTL_MS);
  private readonly definitions = new TtlPromiseCache<string | undefined>(TTL_MS);
  private readonly keys = new TtlPromiseCache<readonly ForeignKeyPeer[]>(TTL_MS);
  private readonly indexed = new TtlPromiseCache<readonly string[]>(TTL_MS);
  private readonly stored = new TtlPromiseCache<readonly string[]>(TTL_MS);
  private readonly indexLists = new TtlPromiseCache<readonly TableIndex[]>(TTL_MS);
  private creation: { at: number; schema: Promise<string | undefined> } | undefined;

  constructor(private readonly read: Read) {}

  /** pg_catalog, information_schema and the TOAST schemas: the database describing itself. */
  isCatalogSchema(schema: string): boolean {
    return schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_toast');
  }

  /** The schema an unqualified name resolves to, or undefined when no relation has that name. */
  async resolve(name: string): Promise<string | undefined> {
    const fresh = this.loaded !== undefined && Date.now() - this.loaded.at < TTL_MS ? this.loaded : await this.refresh();
    return fresh.resolve.get(name);
  }

  /** Each column with the table OID and attribute number PostgreSQL reports for it in results. */
  async columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]> {
    return this.columns.get(`${schema}\u0000${table}`, () =>
      this.read({ sql: COLUMNS, params: [schema, table], ...BIG }).then((r) =>
        r.rows.map((row) => ({ name: String(row[0]), tableOid: Number(row[1]), attnum: Number(row[2]), ...(row[3] === true ? { generated: true } : {}) })),
      ),
    );
  }

  /** What a view or materialized view reads (VIEW_READS), or undefined when the relation is not one. */
  async viewReads(schema: string, name: string): Promise<readonly ViewRead[] | undefined> {
    return this.views.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: VIEW_READS, params: [schema, name, REFUSED_FUNCTIONS], ...BIG }).then((r) => (r.rows.length === 0 ? undefined : viewReadsOf(schema, name, r.rows))),
    );
  }

  /** The foreign keys between a table and others (FOREIGN_KEYS). */
  async foreignKeys(schema: string, name: string): Promise<readonly ForeignKeyPeer[]> {
    return this.keys.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: FOREIGN_KEYS, params: [schema, name], ...BIG }).then((r) =>
        r.rows.map((row) => ({
          direction: row[0] === 'to' ? ('to' as const) : ('from' as const),
          schema: String(row[1]),
          name: String(row[2]),
          columns: Array.isArray(row[3]) ? row[3].map(String) : [],
        })),
      ),
    );
  }

  /** A table's indexes and exclusion constraints, with every column each reads (indexes.ts). */
  async indexes(schema: string, name: string): Promise<readonly TableIndex[]> {
    return this.indexLists.get(`${schema}\u0000${name}`, () => this.read({ sql: INDEXES, params: [schema, name], ...BIG }).then((r) => indexesOf(r.rows)));
  }

  /** A view's query, every name outside pg_catalog qualified (VIEW_DEFINITION); undefined when it is not a view. */
  async viewDefinition(schema: string, name: string): Promise<string | undefined> {
    return this.definitions.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: VIEW_DEFINITION, params: [schema, name], pinnedNames: true, ...BIG }).then((r) => {
        const text = r.rows[0]?.[0];
        return typeof text === 'string' ? text.trim().replace(/;$/, '') : undefined;
      }),
    );
  }

  /** What a function's body reads, as a view's definition would (function-reads.ts); undefined when there is no such function. */
  async functionReads(schema: string, name: string): Promise<readonly ViewRead[] | undefined> {
    return this.functions.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: FUNCTION_SOURCES, params: [schema, name], pinnedNames: true, ...BIG }).then((r) => functionReadsOf(schema, name, r.rows, (relation) => this.resolve(relation))),
    );
  }

  /** Casts that would run a function that is not built in (UNTRUSTED_CASTS). */
  async untrustedCasts(): Promise<readonly string[]> {
    return this.casts.get('', () => this.read({ sql: UNTRUSTED_CASTS, params: [], ...BIG }).then((r) => r.rows.map((row) => String(row[0]))));
  }

  /** The relation's ancestors and descendants through inheritance and partitions (FAMILY). */
  async family(schema: string, name: string): Promise<RelationKin> {
    return this.families.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: FAMILY, params: [schema, name], ...BIG }).then((r) => {
        const ancestors: RelationName[] = [];
        const descendants: RelationName[] = [];
        const partitionKeys: string[] = [];
        for (const [direction, nspname, relname, key] of r.rows) {
          if (direction === 'key' && typeof key === 'string') partitionKeys.push(key);
          if (typeof nspname !== 'string' || typeof relname !== 'string') continue;
          (direction === 'up' ? ancestors : descendants).push({ schema: nspname, name: relname });
        }
        return { ancestors, descendants, partitionKeys };
      }),
    );
  }

  /** The columns its rows are stored in the order of: a CLUSTER index, its partition key (STORAGE_ORDER). */
  async storageOrder(schema: string, name: string): Promise<readonly string[]> {
    return this.stored.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: STORAGE_ORDER, params: [schema, name], ...BIG }).then((r) => r.rows.map((row) => String(row[0]))),
    );
  }

  /** The columns of the indexes of a relation and its descendants (INDEXED_COLUMNS). */
  async indexedColumns(schema: string, name: string): Promise<readonly string[]> {
    return this.indexed.get(`${schema}\u0000${name}`, () =>
      this.read({ sql: INDEXED_COLUMNS, params: [schema, name], ...BIG }).then((r) => r.rows.map((row) => String(row[0]))),
    );
  }

  /**
   * Where the database would find an existing relation of any kind, index included,
   * by its unqualified name. Asked fresh each time: schema changes act on objects
   * that may have been created a moment ago.
   */
  async locate(name: string): Promise<string | undefined> {
    const result = await this.read({ sql: LOCATE, params: [name], maxRows: 1, maxBytes: 4096 });
    const schema = result.rows[0]?.[0];
    return typeof schema === 'string' ? schema : undefined;
  }

  /** The schema an unqualified CREATE puts its object in (`current_schema()`), or undefined when there is none. */
  async creationSchema(): Promise<string | undefined> {
    if (this.creation !== undefined && Date.now() - this.creation.at < TTL_MS) return this.creation.schema;
    const schema = this.read({ sql: CREATION_SCHEMA, params: [], maxRows: 1, maxBytes: 4096 }).then((r) => {
      const value = r.rows[0]?.[0];
      return typeof value === 'string' ? value : undefined;
    });
    this.creation = { at: Date.now(), schema };
    schema.catch(() => {
      this.creation = undefined;
    });
    return schema;
  }

  /** Forgets what is cached, so a change of schema is seen by the next statement rather than within 30 s. */
  invalidate(): void {
    this.loaded = undefined;
    this.columns.clear();
    this.views.clear();
    this.families.clear();
    this.casts.clear();
    this.functions.clear();
    this.definitions.clear();
    this.keys.clear();
    this.indexed.clear();
    this.stored.clear();
    this.indexLists.clear();
    this.creation = undefined;
  }

  /** One load at a time, shared by every caller that finds the snapshot stale. */
  private refresh(): Promise<Snapshot> {
    this.loading ??= this.read({ sql: RESOLUTION, params: [], ...BIG })
      .then((result) => {
        const snapshot = { at: Date.now(), resolve: new Map(result.rows as [string, string][]) };
        this.loaded = snapshot;
        return snapshot;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}

/**
 * VIEW_READS rows folded per relation: its columns, or '*' when the view uses whole rows;
 * the view itself alone (unreadable, so denied) when it calls code that is not built in,
 * or a built-in no statement may call.
 */
function viewReadsOf(schema: string, view: string, rows: readonly (readonly unknown[])[]): ViewRead[] {
  const system = systemReadsOf(rows[0]?.[6]);
  const refusedSystem = system.some(([, name]) => DENIED_SYSTEM_RELATIONS.has(name));
  if (refusedSystem || rows.some((row) => row[4] === true || row[5] === true)) return [{ schema, name: view, columns: '*' }];
  const wholeRow = rows.some((row) => row[3] === true);
  const reads = new Map<string, { schema: string; name: string; columns: Set<string> | '*' }>();
  const readOf = (schema: string, name: string): { columns: Set<string> | '*' } => {
    const key = `${schema}\u0000${name}`;
    let read = reads.get(key);
    if (read === undefined) reads.set(key, (read = { schema, name, columns: new Set() }));
    return read;
  };
  for (const [schema, name, column] of rows) {
    if (typeof schema !== 'string' || typeof name !== 'string') continue;
    const read = readOf(schema, name);
    if (typeof column === 'string' && read.columns !== '*') read.columns.add(column);
  }
  for (const [schema, name] of system) readOf(schema, name).columns = '*';
  return [...reads.values()].map((r) => ({ schema: r.schema, name: r.name, columns: wholeRow || r.columns === '*' ? '*' : [...r.columns] }));
}

/** system_reads (jsonb, decoded): [schema, name] pairs. */
function systemReadsOf(value: unknown): [string, string][] {
  if (!Array.isArray(value)) return [];
  return value.filter((pair): pair is [string, string] => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string');
}
