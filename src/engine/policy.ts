/**
 * What an engine's SQL policy hands the later stages: the statement it accepted and what
 * that statement reads and writes, as written. Every engine's policy (libpg-query for the
 * PostgreSQL family, MySQL's and SQLite's own) returns these shapes, and the authorize,
 * tool and audit stages read nothing else of it.
 */

export interface RelationRef {
  schema: string | undefined;
  name: string;
  /** The alias the statement gives it, if any. */
  alias?: string | undefined;
}

/** A column reference as written: its name parts, `*` for a star. */
export type ColumnRefParts = readonly string[];

/** What a statement reads, as the authorize stage needs it (see authorizeRead). */
export interface StatementReads {
  /** Real relations read (CTE references excluded), as written. */
  readonly relations: readonly RelationRef[];
  readonly functions: readonly string[];
  /** Every column reference, as written (`*` for a star). */
  readonly columnRefs: readonly ColumnRefParts[];
  /** Column references that are a select-list entry on their own (may carry a masked column). */
  readonly directColumnRefs: ReadonlySet<ColumnRefParts>;
  readonly hasSetOperation: boolean;
  /** Columns named in JOIN ... USING. */
  readonly usingColumns: readonly string[];
  readonly hasNaturalJoin: boolean;
  /** Highest $n placeholder used; the call must supply exactly this many params. */
  readonly paramCount: number;
}

export type ReadTool = 'query' | 'explain';

/** What the audit takes from a statement the policy accepted. */
export interface Fingerprinted {
  /**
   * The statement's fingerprint, where the engine gives one (the PostgreSQL family's
   * from the parse tree the policy walked, MySQL's token hash), of the text as sent.
   * Computed with the guard's verdict and cached with it: a repeated statement costs
   * nothing. A plain value, so a checked statement can cross to a worker thread.
   */
  readonly fingerprint?: string | undefined;
}

/** A statement that passed the policy, with what it touches (used by later stages). */
export interface CheckedStatement extends StatementReads, Fingerprinted {
  readonly sql: string;
  /** 'explain' for any EXPLAIN, whichever tool received it. */
  readonly tool: ReadTool;
}

/** A read of an UPDATE's target rows as they are, for a dry run to show before → after. */
export interface BeforeRead {
  /** `SELECT * FROM <the target as written> WHERE <the statement's WHERE>`, its $n renumbered from 1. */
  readonly sql: string;
  /** For each $n of `sql`, in order, the index of the statement's parameter it binds. */
  readonly paramIndexes: readonly number[];
  /** Bound after those (a rebuilt read's mask key, ReadGuard.protectWrite). */
  readonly extraParams?: readonly string[] | undefined;
}

export type WriteTool = 'execute' | 'change_schema';

export interface WritePolicyOptions {
  /** change_schema only touches objects whose name starts with this (`writes.prefix`). */
  readonly prefix: string;
  /** UPDATE and DELETE need no WHERE (`writes.allow_unbounded`). */
  readonly allowUnbounded: boolean;
}

export type DmlCommand = 'insert' | 'update' | 'delete' | 'merge';

/** One INSERT, UPDATE, DELETE or MERGE that passed the write policy. */
export interface CheckedDml extends Fingerprinted {
  readonly sql: string;
  readonly tool: 'execute';
  readonly command: DmlCommand;
  /** The relation written: schema as written (undefined when unqualified), name as the parser folded it. */
  readonly target: RelationRef;
  /** Everything else the statement reads, in the shape authorizeRead takes. */
  readonly reads: StatementReads;
  /** Highest $n placeholder used; the call must supply exactly this many params. */
  readonly paramCount: number;
  readonly hasReturning: boolean;
  /**
   * The statement that shows the changed rows: the text itself when it has
   * RETURNING, else the text with `RETURNING *` appended on a new line (so a
   * trailing `--` comment cannot swallow it) — `RETURNING target.*` when the
   * statement also reads other tables (UPDATE ... FROM, DELETE ... USING, MERGE),
   * so the rows shown are the target's only. Re-parsed and checked to be the same
   * statement plus that RETURNING. Undefined on an engine with no RETURNING
   * (MySQL): the dry run then reports the affected-row count only.
   */
  readonly sampleSql: string | undefined;
  /** MERGE ... RETURNING needs PostgreSQL 17 or later: skip the sample on an older server. */
  readonly sampleNeedsPg17: boolean;
  /** UPDATE: the read of its target rows as they are, so a dry run shows before → after (see ./write-before.ts). */
  readonly before?: BeforeRead | undefined;
  /** UPDATE: the columns it sets. */
  readonly setColumns?: readonly string[] | undefined;
  /**
   * The target's columns the statement assigns (SET, an INSERT's column list), as written;
   * 'all' for an INSERT without a column list. Given by engines whose writes are checked by
   * name (MySQL, SQLite): absent, a write to a table with protected columns is refused.
   */
  readonly assigns?: readonly string[] | 'all' | undefined;
}

export type DdlKind =
  | 'create_table' | 'create_table_as' | 'create_view' | 'create_matview' | 'create_index'
  | 'alter' | 'rename' | 'comment' | 'drop' | 'refresh';
export type DdlObjectType = 'table' | 'view' | 'materialized_view' | 'index';

export interface DdlObject {
  /** As written; undefined when unqualified (the authorize stage resolves it as the database would). */
  readonly schema: string | undefined;
  /** As the parser folded it; carries the prefix. */
  readonly name: string;
  readonly type: DdlObjectType;
}

/** One schema change on an object the AI owns that passed the write policy. */
export interface CheckedDdl extends Fingerprinted {
  readonly sql: string;
  readonly tool: 'change_schema';
  readonly kind: DdlKind;
  readonly object: DdlObject;
  /** CREATE INDEX: the table the index is on; the index is created in that table's schema. */
  readonly table?: RelationRef;
  /** RENAME: the new name (of the object, or of `column` / `constraint` when set). */
  readonly newName?: string;
  /** ALTER ... SET SCHEMA: where the object moves. */
  readonly newSchema?: string;
  /** RENAME COLUMN and COMMENT ON COLUMN: the column. */
  readonly column?: string;
  /** RENAME CONSTRAINT: the constraint. */
  readonly constraint?: string;
  /** What the change reads: a view or CREATE TABLE AS body, a LIKE table. */
  readonly reads: StatementReads;
  /** Tables named by FOREIGN KEY ... REFERENCES (all carry the prefix). */
  readonly references: readonly RelationRef[];
  /** A schema change takes no parameters. */
  readonly paramCount: 0;
  /** No row sample: the executor describes the object instead. */
  readonly sampleSql: undefined;
  readonly sampleNeedsPg17: false;
}

export type CheckedWrite = CheckedDml | CheckedDdl;
