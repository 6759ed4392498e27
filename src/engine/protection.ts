/**
 * What the authorize stage hands an engine that protects columns by construction
 * (ReadGuard.protect): for every relation the statement reads, where its name
 * resolves, and for those with column rules for the role, what each column becomes.
 * The engine then replaces every reference to a protected relation, on its parse
 * tree, by a relation that already applies the rules.
 */
import type { BeforeRead } from './policy.js';
import type { ParamValue } from './param-value.js';

/** How a masked column's values are replaced. */
export type MaskKind = 'partial' | 'hash' | 'null';

/** What a role's rules make of one column: kept as it is, absent, or computed by a mask. */
export type ColumnTreatment = 'keep' | 'deny' | MaskKind;

export interface ProtectedColumn {
  readonly name: string;
  readonly treatment: ColumnTreatment;
}

/** A relation with column rules for the role: every column, in table order, with its treatment. */
export interface ProtectedRelation {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly ProtectedColumn[];
  /**
   * Indexes that read a denied or masked column, for an engine that keeps them out of the
   * plan by name (ReadGuard.hidesIndexesByName): read through one, rows come in the order
   * of the protected values.
   */
  readonly indexes?: readonly string[];
}

export interface ReadProtection {
  /** The schema each relation name the statement writes unqualified resolves to on the search path. */
  readonly resolved: ReadonlyMap<string, string>;
  /**
   * The relations the statement reads that have column rules for the role (each once),
   * those read through `views` included.
   */
  readonly relations: readonly ProtectedRelation[];
  /**
   * Views a rule names explicitly whose data is protected for the role: each is read as its
   * own query (every name qualified), so the relations it reads are replaced like the
   * statement's own and its masked columns stay masked. Views they read come too.
   */
  readonly views?: readonly InlinedView[];
  /**
   * A relation the statement reads, itself or through a view, has an index that includes a
   * column protected for the role (authorize/index-order.ts): an index scan would return rows
   * in the order of that column's real values, so the engine plans without one.
   */
  readonly indexedProtected?: boolean;
}

/** A view read as its definition (ReadProtection.views). */
export interface InlinedView {
  readonly schema: string;
  readonly name: string;
  readonly definition: string;
}

/**
 * Relations an engine replaces by name before the statement runs (SQLite: TEMP views that
 * shadow the tables, see src/engines/sqlite/worker-shadow.ts), with the `hash` mask's key.
 */
export interface ShadowedRelations {
  readonly relations: readonly ProtectedRelation[];
  readonly hashKey: Uint8Array;
  /**
   * Views a rule names over protected data, each as the `CREATE TEMP VIEW` that shadows it
   * with its own definition reading the shadows; inner views before the views that read them.
   */
  readonly views?: readonly { readonly name: string; readonly sql: string }[];
}

/** The statement to run instead of the one the policy accepted, and the parameters it adds to the call's own. */
export interface ProtectedStatement {
  readonly sql: string;
  readonly params: readonly ParamValue[];
  /**
   * For positional placeholders (MySQL's `?`): where each of `params` goes among the
   * statement's placeholders (0-based, ascending). Absent: after the call's own.
   */
  readonly at?: readonly number[];
  /** Set when the engine must set the relations up before the statement runs (ReadRequest.shadows). */
  readonly shadows?: ShadowedRelations;
  /** Run without index scans (ReadRequest.withoutIndexScans), from ReadProtection.indexedProtected. */
  readonly withoutIndexScans?: boolean;
}

/** The call's own parameters with the ones the protected statement adds, in placeholder order. */
export function withProtectionParams(own: readonly ParamValue[], run: ProtectedStatement): ParamValue[] {
  const at = run.at;
  if (at === undefined) return [...own, ...run.params];
  const out: ParamValue[] = [];
  let next = 0;
  let added = 0;
  for (let slot = 0; slot < own.length + run.params.length; slot++) {
    const value = at[added] === slot ? run.params[added++] : own[next++];
    out.push(value as ParamValue);
  }
  return out;
}

/**
 * What the authorize stage hands an engine for a write (ReadGuard.protectWrite): the
 * relations the write reads, as for a read, and the relation it writes.
 */
export interface WriteProtection extends ReadProtection {
  /** The relation written, where its name resolves; `columns` (every column, in table order) when the role has rules on it. */
  readonly target: { readonly schema: string; readonly name: string; readonly columns?: readonly ProtectedColumn[] | undefined };
  /** As ReadProtection.indexedProtected, for the relation written too: its rows are found, changed and returned in the order of the scan. */
  readonly indexedProtected?: boolean;
}

/** A write as it runs for a role with rules: each statement rebuilt, and the parameters to append to the call's own. */
export interface ProtectedWrite {
  readonly sql: string;
  /** The dry run's statement (CheckedDml.sampleSql), rebuilt the same way, and the parameters to append to the call's own for it. */
  readonly sampleSql: string | undefined;
  readonly sampleParams: readonly ParamValue[];
  /** An UPDATE dry run's read of its rows as they are (CheckedDml.before), rebuilt like a read. */
  readonly before: BeforeRead | undefined;
  readonly params: readonly ParamValue[];
  /** Run without index scans (WriteRequest.withoutIndexScans), from WriteProtection.indexedProtected. */
  readonly withoutIndexScans?: boolean;
}
