/**
 * The one interface every database adapter implements. The core talks only to
 * this; a driver (pg, PGlite, ...) is imported by its own adapter and loaded only
 * when a source of that engine is configured.
 */
export type Engine = 'postgres' | 'pglite';

/** A parameter value as it arrives in a tool call (JSON). */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

export interface ReadRequest {
  /** A statement the SQL policy already accepted. */
  readonly sql: string;
  readonly params: readonly ParamValue[];
  readonly maxRows: number;
  readonly maxBytes: number;
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

export interface Source {
  readonly name: string;
  readonly engine: Engine;
  readonly mode: 'read-only';
  /** Runs one statement inside a READ ONLY transaction that is always rolled back. */
  read(request: ReadRequest): Promise<ReadResult>;
  close(): Promise<void>;
}
