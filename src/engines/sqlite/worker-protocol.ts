// The messages between SqliteSource (source.ts) and its child process (worker.ts), over Node's IPC channel.

export type WorkerRequest =
  | { type: 'init'; path: string; writes: boolean }
  | { type: 'read'; id: number; sql: string; params: unknown[]; maxRows: number; maxBytes: number; shadows?: WorkerShadows }
  | WorkerWriteRequest;

/**
 * Tables with column rules for the caller's role: the read runs on a connection where a TEMP
 * view of each one's name shadows it (worker-shadow.ts). Columns by lower-case name.
 */
export interface WorkerShadows {
  relations: { name: string; columns: { name: string; treatment: 'keep' | 'deny' | 'partial' | 'hash' | 'null' }[] }[];
  hashKey: Uint8Array;
  /** Views shadowed by their own definitions over the shadows (ShadowedRelations.views), in order. */
  views?: { name: string; sql: string }[];
}

/** One governed write, already planned by the policy; the worker checks its effect on its own. */
export interface WorkerWriteRequest {
  type: 'write';
  id: number;
  kind: 'dml' | 'ddl';
  /** What runs: the statement, or on a DML dry run the same statement with RETURNING *. */
  sql: string;
  params: unknown[];
  dryRun: boolean;
  maxAffectedRows: number;
  sampleRows: number;
  maxBytes: number;
  /** Lower-cased names whose `sqlite_schema` rows a DDL statement may change (SqliteWritePlan.touches). */
  touches: string[];
  /** DDL: the object whose definition to return, read inside the transaction. */
  describe?: string;
}

export interface WorkerColumn {
  name: string;
  type: string;
  database: string | null;
  table: string | null;
  column: string | null;
}

export interface WorkerResult {
  columns: WorkerColumn[];
  rows: unknown[][];
  bytes: number;
  truncatedBy?: 'rows' | 'bytes';
}

export interface WorkerWriteResult {
  /** Rows the statement changed itself (SQLite's changes()); 0 for DDL. */
  affected: number;
  sample?: { columns: WorkerColumn[]; rows: unknown[][]; truncated: boolean };
  definition?: string;
  committed: boolean;
}

/**
 * Why a call failed. The write refusals are the engine's own checks: `not-a-write`
 * (SQLite calls the statement read-only, or it ended the transaction),
 * `schema-changed` (sqlite_schema differs beyond the plan's touches),
 * `rows-changed` (a schema change that changed rows), `breaks-dependents` (a view or
 * trigger outside the plan compiled before a schema change and not after it),
 * `limit` (more rows than allowed).
 */
export type WorkerFailure =
  | 'unavailable' | 'multiple' | 'not-read-only' | 'failed'
  | 'writes-disabled' | 'not-a-write' | 'schema-changed' | 'rows-changed' | 'breaks-dependents' | 'limit';

export type WorkerResponse =
  /** The answer to `init`: the worker has loaded and will take requests (id 0, never a request's). */
  | { id: 0; ok: true; ready: true }
  | { id: number; ok: true; result: WorkerResult }
  | { id: number; ok: true; written: WorkerWriteResult }
  | { id: number; ok: false; failure: WorkerFailure; code?: string; message?: string; changed?: number };
