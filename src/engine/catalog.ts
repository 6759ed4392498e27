/** A table column and the origin id its result columns carry (ResultColumn.origin), for masking. */
export interface ColumnOrigin {
  name: string;
  tableOid: number;
  attnum: number;
  /** A generated column (computed from others of its row): it may copy a protected one (authorize/family.ts). */
  generated?: boolean;
}

/**
 * One relation a view's definition reads, and which of its columns: `'*'` when the
 * definition uses whole rows (or the engine cannot tell columns apart), `[]` when it
 * reads no column value (only that rows exist, as `count(*)` does).
 */
export interface ViewRead {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly string[] | '*';
}

/** A relation by schema and name. */
export interface RelationName {
  readonly schema: string;
  readonly name: string;
}

/** The relations a table shares rows with through inheritance or partitioning, at any depth. */
export interface RelationKin {
  /**
   * Parents, their parents, ...: the relation's rows are theirs too; and the other parents of
   * its descendants, whose rows it returns (a child of two parents holds rows of both).
   */
  readonly ancestors: readonly RelationName[];
  /** Children and partitions, theirs, ...: their rows are read through the relation. */
  readonly descendants: readonly RelationName[];
  /**
   * The partition key columns of the relation's own ancestors ('*' for a key on an
   * expression): a partition holds the rows whose key falls in its bounds, so reading one
   * tells something about those columns.
   */
  readonly partitionKeys?: readonly string[];
  /**
   * The relation holds its ancestors' rows under column names of its own (SQLite's shadow
   * tables of a virtual table): their column rules cannot be matched by name, so any of them
   * makes the relation unreadable.
   */
  readonly opaque?: boolean;
}

/** The other side of a foreign key (Catalog.foreignKeys). */
export interface ForeignKeyPeer {
  readonly direction: 'to' | 'from';
  readonly schema: string;
  readonly name: string;
  /** Its columns in the key. */
  readonly columns: readonly string[];
}

/** An index of a table (Catalog.indexes). */
export interface TableIndex {
  readonly name: string;
  /** A unique index, primary key or exclusion constraint: a write that would repeat its key fails. */
  readonly unique: boolean;
  /**
   * Every column its key, expressions or predicate read (a generated column's sources
   * included); '*' when the engine cannot tell which.
   */
  readonly columns: readonly string[] | '*';
}

/** Name resolution as the database does it, for the authorize stage. */
export interface Catalog {
  /** The schema an unqualified table or view name resolves to, or undefined. */
  resolve(name: string): Promise<string | undefined>;
  /** A table's columns with the origin ids its result columns carry (ResultColumn.origin). */
  columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]>;
  /**
   * What a view or materialized view reads directly (a view it reads is listed, not
   * expanded); undefined when the relation is not a view. A view whose definition the
   * engine cannot read lists itself, which the authorize stage denies.
   */
  viewReads(schema: string, name: string): Promise<readonly ViewRead[] | undefined>;
  /**
   * Table inheritance and partitions (PostgreSQL): the relation's ancestors and
   * descendants, so that rules follow rows through them. Absent where the engine has none.
   */
  family?(schema: string, name: string): Promise<RelationKin>;
  /**
   * A view's query, written so that it means the same in a statement that runs with names
   * pinned (ReadRequest.pinnedNames): for reading a view named by a rule through the role's
   * column rules. Absent where the engine does not rebuild statements.
   */
  viewDefinition?(schema: string, name: string): Promise<string | undefined>;
  /**
   * What a function the configuration allows reads, as viewReads has it for a view (each
   * relation its body names; itself when its body cannot be read through); undefined when
   * no function has that name. Absent where the engine allows no functions of its own.
   */
  functionReads?(schema: string, name: string): Promise<readonly ViewRead[] | undefined>;
  /**
   * The foreign keys between a table and others: `to` a table it references (the referenced
   * columns), `from` a table that references it (the referencing columns). Absent where the
   * engine does not tell.
   */
  foreignKeys?(schema: string, name: string): Promise<readonly ForeignKeyPeer[]>;
  /**
   * A table's indexes and exclusion constraints: which columns each reads and whether it is
   * unique (a write failing on it answers whether another row shares a value). Absent where
   * the engine does not tell.
   */
  indexes?(schema: string, name: string): Promise<readonly TableIndex[]>;
  /**
   * Casts the database would run through code that is not built in (PostgreSQL: a cast whose
   * function is outside pg_catalog and belongs to no extension), each described as
   * `source → target through schema.function`. A cast is found by its types, whatever the
   * search path, so pinning names cannot keep such a function out of a statement.
   */
  untrustedCasts?(): Promise<readonly string[]>;
  /**
   * The columns whose values order how a table is stored (a clustered key: SQLite's WITHOUT
   * ROWID primary key or its INTEGER PRIMARY KEY, the rowid; MySQL's primary key, or a unique
   * key InnoDB would cluster by in its place): a plain scan returns rows in their order, and no
   * plan avoids it. `'*'` stands for a column the engine cannot name (an expression). Absent
   * where storage follows no column (PostgreSQL's heap).
   */
  storageOrder?(schema: string, name: string): Promise<readonly string[]>;
  /**
   * The columns of every index of a relation and of its descendants (partitions, inheritance
   * children): an index scan returns rows in the order of its columns. `'*'` for an index on an
   * expression or with a predicate (it counts as holding every column). Absent where the engine
   * keeps such indexes out of a protected statement's plan by itself.
   */
  indexedColumns?(schema: string, name: string): Promise<readonly string[]>;
  /** Like resolve, for any relation kind (indexes too). */
  locate(name: string): Promise<string | undefined>;
  /** Where an unqualified CREATE puts a new object. */
  creationSchema(): Promise<string | undefined>;
  /** Forget cached names (after a schema change). */
  invalidate(): void;
  /** Schemas no write or schema change may touch (catalogs, server state); PostgreSQL's when absent. */
  isSystemSchema?(schema: string): boolean;
  /**
   * Schemas whose relations describe the database itself (pg_catalog, information_schema,
   * MySQL's mysql/sys/performance_schema): names, sizes, statistics, defaults and stored
   * values of every table, the denied ones included. A role with rules reads them only
   * where `tables.allow` names one exactly (authorize/family.ts).
   */
  isCatalogSchema?(schema: string): boolean;
  /**
   * The engine matches column names without regard to case (MySQL, SQLite): a statement's
   * `SALARY` is the column `salary`, so checks by name compare them so too.
   */
  readonly columnNamesIgnoreCase?: boolean;
  /**
   * Names that reach a table's row id, which is its integer primary key under another name
   * (SQLite `rowid`, `oid`, `_rowid_`; MySQL `_rowid`), lower case: checks by name cannot
   * tell which column one stands for.
   */
  readonly rowIdNames?: readonly string[];
}
