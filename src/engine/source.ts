import type { ParamValue } from './param-value.js';
import type { CheckedWrite } from './policy.js';
import type { ShadowedRelations } from './protection.js';

/**
 * The one interface every database adapter implements. The core talks only to
 * this; a driver (pg, PGlite, ...) is imported by its own adapter and loaded only
 * when a source of that engine is configured.
 */
export type Engine = 'postgres' | 'pglite' | 'mysql' | 'sqlite';

export type { ParamValue } from './param-value.js';

export interface ReadRequest {
  /** A statement the SQL policy already accepted. */
  readonly sql: string;
  readonly params: readonly ParamValue[];
  readonly maxRows: number;
  readonly maxBytes: number;
  /** Aborted when the client cancels the call: the adapter stops the statement on the engine. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The caller's role has rules on what it may read: an error of a data-quoting kind (a
   * bad cast, a constraint) comes back without the values its message would quote.
   */
  readonly quietData?: boolean | undefined;
  /**
   * The statement names every relation with its schema (ReadGuard.protect): resolve nothing
   * else through a search path a user can put objects on, so an unqualified function,
   * operator or type can only be a built-in (PostgreSQL: search_path = pg_catalog, pg_temp).
   */
  readonly pinnedNames?: boolean | undefined;
  /**
   * Run the statement where these relations are already replaced by what the role may see
   * (ProtectedStatement.shadows); only an engine whose ReadGuard.protect asked for it gets it.
   */
  readonly shadows?: ShadowedRelations | undefined;
  /**
   * The plan-cost guard (limits.max_plan_cost / max_plan_rows): the statement is planned
   * first (EXPLAIN, never run) in the same transaction, with the same settings and
   * parameters, and refused with PLAN_TOO_COSTLY when the top plan node's estimate is over
   * a bound. Only a source with `guardsPlans` honours it; absent, no plan is asked for.
   */
  readonly planBound?: PlanBound | undefined;
  /**
   * Plan without index scans, bitmap scans kept (PostgreSQL: enable_indexscan = off): a relation
   * the statement reads has an index that includes a column protected for the role, and an
   * index scan returns rows in the order of its real values (ProtectedStatement.withoutIndexScans).
   */
  readonly withoutIndexScans?: boolean | undefined;
}

/** Bounds on the planner's estimate for a statement's top plan node; at least one is set. */
export interface PlanBound {
  /** The node's total cost, in the planner's units (seq_page_cost = 1). */
  readonly maxCost?: number | undefined;
  /** The rows the node is estimated to return. */
  readonly maxRows?: number | undefined;
}

export interface ResultColumn {
  readonly name: string;
  readonly type: string;
  /** Where PostgreSQL says the values come from (a plain table column); used for masking, never shown. */
  readonly origin?: { readonly tableOid: number; readonly attnum: number };
}

export interface ReadResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  readonly truncated: boolean;
  /** Which cap stopped the read, when truncated. */
  readonly truncatedBy?: 'rows' | 'bytes';
  /** Approximate size of the returned values, in bytes of text. */
  readonly bytes: number;
}

/** An object a DDL dry run describes after its statement ran, inside the same transaction. */
export interface DescribeTarget {
  readonly schema: string;
  readonly name: string;
  readonly type: 'table' | 'view' | 'materialized_view' | 'index';
}

export interface WriteRequest {
  readonly kind: 'dml' | 'ddl';
  /** The statement that runs for real (already checked by the policy). */
  readonly sql: string;
  readonly params: readonly ParamValue[];
  /** true: run inside a transaction that is always rolled back. */
  readonly dryRun: boolean;
  /** DML: more affected rows than this rolls the whole change back (error WRITE_LIMIT_EXCEEDED). */
  readonly maxAffectedRows: number;
  /**
   * DML dry run: the same statement with RETURNING * appended (from the policy); run
   * instead of `sql` when dryRun, to show rows as they would be after the change.
   */
  readonly sampleSql?: string | undefined;
  /** The dry run shows the count without rows (a table the role may not see in full, checked by name). */
  readonly withoutSample?: boolean | undefined;
  /** The parameters of sampleSql, when they are not `params` (ReadGuard.protectWrite may append a mask key to one and not the other). */
  readonly sampleParams?: readonly ParamValue[] | undefined;
  /**
   * The policy's verdict on `sql`, as the tool received it. An engine reads its own
   * details from it: the PostgreSQL family, an UPDATE dry run's read of the target rows
   * as they are (CheckedDml.before, for before → after) and whether a MERGE sample needs
   * PostgreSQL 17 (CheckedDml.sampleNeedsPg17). Absent, the engine does neither.
   */
  readonly checked?: CheckedWrite | undefined;
  /** How many sample rows to return (default 20). */
  readonly sampleRows?: number | undefined;
  /** DDL: the object to describe after the statement ran (in the same transaction). */
  readonly describe?: DescribeTarget | undefined;
  /** Cap on the sample's size, in bytes of text. */
  readonly maxBytes: number;
  /** The statements name every relation with its schema (ReadGuard.protectWrite): pin the search path, as ReadRequest.pinnedNames. */
  readonly pinnedNames?: boolean | undefined;
  /** As ReadRequest.quietData: an error of a data-quoting kind comes back without the values it quotes. */
  readonly quietData?: boolean | undefined;
  /**
   * DML only, as ReadRequest.planBound: the statement that would run is planned first (EXPLAIN) in the
   * write's transaction and refused with PLAN_TOO_COSTLY, nothing run, when its plan's cost is over
   * `maxCost` (a DML plan's top node estimates no rows of its own, so only the cost is judged).
   */
  readonly planBound?: Pick<PlanBound, 'maxCost'> | undefined;
  /** As ReadRequest.withoutIndexScans, for what the write reads and the rows it changes and returns. */
  readonly withoutIndexScans?: boolean | undefined;
}

export interface WriteSample {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  readonly truncated: boolean;
}

export interface WriteResult {
  /** Rows the statement affected (DML); 0 for DDL. */
  readonly affected: number;
  /**
   * Rows changed in all by the statement (DML), counting those its cascades and triggers
   * changed in any table, where the engine can tell; at least `affected`. The row cap and an
   * approval's bound apply to this count.
   */
  readonly changedInAll?: number | undefined;
  /**
   * Dry run: up to sampleRows rows as they would be after the change (RETURNING);
   * real run: the RETURNING rows, when the statement has RETURNING.
   */
  readonly sample?: WriteSample | undefined;
  /** Dry run with beforeSql: the target rows as they were before the statement ran (up to the sample's byte cap). */
  readonly before?: WriteSample | undefined;
  /** DDL with `describe`: the resulting definition (columns, types, constraints; view or index SQL). */
  readonly definition?: string | undefined;
  /** True only when COMMIT succeeded; a dry run is never committed. */
  readonly committed: boolean;
  /**
   * A dry run that could not run the statement and only validated it (MySQL DDL
   * commits implicitly, so it is never executed on a dry run): `affected` and
   * `definition` are then not observed, and `notice` says what was checked.
   */
  readonly validatedOnly?: boolean;
  /** What the person and the assistant should know about this engine's answer (no row preview, validated only). */
  readonly notice?: string;
}

/** Live connection counts of a source's pool, read at metrics scrape time. */
export interface PoolStats {
  /** Connections open, idle or checked out. */
  readonly total: number;
  /** Open connections waiting in the pool for a call. */
  readonly idle: number;
  /** Calls queued for a connection because the pool is at its max. */
  readonly waiting: number;
}

export interface Source {
  readonly name: string;
  readonly engine: Engine;
  readonly mode: 'read-only';
  /** The source honours ReadRequest.planBound (an engine with a cost model: PostgreSQL, PGlite). */
  readonly guardsPlans?: true;
  /** Runs one statement inside a READ ONLY transaction that is always rolled back. */
  read(request: ReadRequest): Promise<ReadResult>;
  /**
   * Runs one statement the write policy accepted, in one READ WRITE transaction on
   * one connection: rolled back on a dry run, an error or a broken cap; committed
   * otherwise. Refused unless writes are enabled for the source.
   */
  write?(request: WriteRequest): Promise<WriteResult>;
  /**
   * The pool's live counts, for the `bastion_pool_connections` gauge. Only engines with
   * a connection pool (PostgreSQL, MySQL) have it; PGlite and SQLite run one worker.
   */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}
