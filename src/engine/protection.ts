/**
 * What the authorize stage hands an engine that protects columns by construction
 * (ReadGuard.protect): for every relation the statement reads, where its name
 * resolves, and for those with column rules for the role, what each column becomes.
 * The engine then replaces every reference to a protected relation, on its parse
 * tree, by a relation that already applies the rules.
 */
import type { BeforeRead } from './policy.js';
import type { ParamValue } from './source.js';

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
}

export interface ReadProtection {
  /** The schema each relation name the statement writes unqualified resolves to on the search path. */
  readonly resolved: ReadonlyMap<string, string>;
  /** The relations the statement reads that have column rules for the role (each once). */
  readonly relations: readonly ProtectedRelation[];
}

/** The statement to run instead of the one the policy accepted, and the parameters to append to the call's own. */
export interface ProtectedStatement {
  readonly sql: string;
  readonly params: readonly ParamValue[];
}

/**
 * What the authorize stage hands an engine for a write (ReadGuard.protectWrite): the
 * relations the write reads, as for a read, and the relation it writes.
 */
export interface WriteProtection extends ReadProtection {
  /** The relation written, where its name resolves; `columns` (every column, in table order) when the role has rules on it. */
  readonly target: { readonly schema: string; readonly name: string; readonly columns?: readonly ProtectedColumn[] | undefined };
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
}
