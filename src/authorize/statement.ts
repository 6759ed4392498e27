import { BastionError } from '../errors/codes.js';
import type { CheckedStatement } from '../engine/policy.js';
import type { Catalog } from '../engine/catalog.js';
import type { InlinedView, ProtectedColumn, ProtectedRelation, ReadProtection } from '../engine/protection.js';
import type { MaskKind, Role } from './roles.js';
import { relationRules, type RelationRules } from './family.js';
import { readsProtectedIndex } from './index-order.js';
import { inlineNamedView } from './named-views.js';
import { authorizeFunctions, authorizeViews } from './views.js';
import { maskDomain } from '../engine/mask-hash.js';

interface Touched {
  schema: string;
  name: string;
  alias: string | undefined;
  denied: string[];
  masked: string[];
}

/** Result columns to mask, by the table OID and attribute number PostgreSQL reports for them. */
export interface MaskPlan {
  /** `domain` is the column's hash-mask domain (shape/mask.ts maskDomain). */
  readonly columns: readonly { tableOid: number; attnum: number; kind: MaskKind; domain: Uint8Array }[];
}

/**
 * What the authorize stage decided for a read the role may run: the output masks by
 * result-column origin (a second layer where the engine protects by construction, the
 * only one where it cannot), and where each relation resolves and which have column
 * rules, for ReadGuard.protect.
 */
export interface ReadAuthorization extends MaskPlan {
  readonly protection: ReadProtection;
}

export interface ReadAuthorizeOptions {
  /**
   * The engine replaces protected relations before the statement sees them
   * (ReadGuard.protect): a denied column does not exist and a masked one is its mask,
   * so the name-based column checks have nothing left to refuse and are skipped.
   */
  readonly byConstruction?: boolean;
  /** List, for each relation with rules, the indexes that read a protected column (ReadGuard.hidesIndexesByName). */
  readonly indexNames?: boolean;
}

const NOTHING: ReadAuthorization = { columns: [], protection: { resolved: new Map(), relations: [] } };

/** Same answer for a denied table and a missing one: a denied table is invisible. */
function invisible(name: string): BastionError {
  return new BastionError('TABLE_NOT_FOUND', `No table or view named ${name} is available to you.`);
}

/**
 * The authorize stage for a read: every relation the statement touches must be
 * allowed for the role. For each one with column rules it lists what every column
 * becomes (kept, denied, masked), for an engine that applies them on the parse tree
 * before the statement runs (options.byConstruction). Where the engine cannot, no
 * denied column may be reachable by name — by a star, as a whole-row value, through
 * USING or a NATURAL join — and a masked column may only be selected as it is (its
 * values are then masked on the way out); in an expression, filter, join, ordering
 * or set operation it is refused, because its real value would shape the answer.
 * Where the AST alone cannot tell which table a name belongs to, the answer is no.
 */
export async function authorizeRead(
  role: Role,
  statement: CheckedStatement,
  catalog: Catalog,
  options: ReadAuthorizeOptions = {},
): Promise<ReadAuthorization> {
  if (role.unrestricted) return NOTHING;
  await refuseUntrustedCasts(catalog);
  await authorizeViews(role, statement, catalog);
  await authorizeFunctions(role, statement, catalog);
  const touched: Touched[] = [];
  const plan: { tableOid: number; attnum: number; kind: MaskKind; domain: Uint8Array }[] = [];
  const resolved = new Map<string, string>();
  const relations = new Map<string, ProtectedRelation>();
  const views = new Map<string, InlinedView>();
  /** What every column of a relation becomes for the role; listed when any rule applies. */
  const protect = async (schema: string, name: string, entry?: Touched, known?: RelationRules): Promise<void> => {
    if (!role.hasColumnRules || (entry === undefined && relations.has(`${schema}\u0000${name}`))) return;
    // The role's rules as they follow rows through inheritance and partitions (family.ts).
    const rules = known ?? (await relationRules(role, catalog, schema, name));
    const columns: ProtectedColumn[] = [];
    let ruled = false;
    for (const column of await catalog.columnOrigins(schema, name)) {
      if (rules.denied(column.name)) {
        entry?.denied.push(column.name);
        columns.push({ name: column.name, treatment: 'deny' });
        ruled = true;
        continue;
      }
      const kind = rules.mask(column.name);
      if (kind !== undefined) {
        entry?.masked.push(column.name);
        if (entry !== undefined) plan.push({ tableOid: column.tableOid, attnum: column.attnum, kind, domain: maskDomain(schema, name, column.name) });
        ruled = true;
      }
      columns.push({ name: column.name, treatment: kind ?? 'keep' });
    }
    if (!ruled) return;
    const indexes = options.indexNames === true ? await protectedIndexes(catalog, schema, name, columns) : undefined;
    relations.set(`${schema}\u0000${name}`, { schema, name, columns, ...(indexes === undefined ? {} : { indexes }) });
  };
  for (const relation of statement.relations) {
    const written = relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
    const schema = relation.schema ?? (await catalog.resolve(relation.name));
    if (schema === undefined) throw invisible(written);
    const rules = await relationRules(role, catalog, schema, relation.name);
    if (!rules.allowed) throw invisible(written);
    if (relation.schema === undefined) resolved.set(relation.name, schema);
    const entry: Touched = { schema, name: relation.name, alias: relation.alias, denied: [], masked: [] };
    await protect(schema, relation.name, entry, rules);
    // A view a rule names over protected data: read as its query, under the role's rules.
    if (role.tableNamedExplicitly(schema, relation.name)) {
      await inlineNamedView(role, catalog, schema, relation.name, views, (s, n) => protect(s, n), options.byConstruction === true);
    }
    touched.push(entry);
  }
  if (options.byConstruction !== true) checkColumns(statement, touched, catalog);
  if (statement.tool === 'explain' && (relations.size > 0 || views.size > 0)) throw noPlan([...relations.values()][0] ?? [...views.values()][0]);
  const indexedProtected = await readsProtectedIndex(role, catalog, touched);
  const protection = {
    resolved,
    relations: [...relations.values()],
    ...(views.size > 0 ? { views: [...views.values()] } : {}),
    ...(indexedProtected ? { indexedProtected } : {}),
  };
  return { columns: plan, protection };
}

/** The indexes of a relation with rules that read one of its denied or masked columns. */
export async function protectedIndexes(catalog: Catalog, schema: string, name: string, columns: readonly ProtectedColumn[]): Promise<string[]> {
  if (catalog.indexes === undefined) return [];
  const guarded = new Set(columns.filter((column) => column.treatment !== 'keep').map((column) => column.name.toLowerCase()));
  return (await catalog.indexes(schema, name))
    .filter((index) => index.columns === '*' || index.columns.some((column) => guarded.has(column.toLowerCase())))
    .map((index) => index.name);
}

/**
 * A plan names the indexes it could use (one on a denied or masked column among them) and
 * carries the database's estimates, which come from the real values: for a role with
 * rules, no plan of a statement that reads a relation with rules for it.
 */
function noPlan(relation: { schema: string; name: string } | undefined): BastionError {
  const what = relation === undefined ? 'a table' : `${relation.schema}.${relation.name}`;
  return new BastionError(
    'DENIED_BY_POLICY',
    `EXPLAIN is not available for statements that read ${what}: your role has column rules on it, and a plan would name its indexes and estimates from the protected values. Run the query itself instead.`,
  );
}

/**
 * A cast that runs code which is not built in reaches a statement whatever its text: the
 * database picks it by type, implicitly too. That code may read anything the connection
 * can, so a role with rules cannot use the source until it is gone (fail closed).
 */
async function refuseUntrustedCasts(catalog: Catalog): Promise<void> {
  const casts = catalog.untrustedCasts === undefined ? [] : await catalog.untrustedCasts();
  if (casts.length === 0) return;
  throw new BastionError(
    'DENIED_BY_POLICY',
    `This database defines ${casts.length === 1 ? 'a cast' : `${casts.length} casts`} that run${casts.length === 1 ? 's' : ''} a function that is not built in (${casts.slice(0, 3).join('; ')}${casts.length > 3 ? '; …' : ''}). ` +
      'Such a cast can run inside any statement, so roles with table or column rules cannot query this source until it is dropped.',
  );
}

/**
 * By name: column names compare as the engine compares them (without regard to case on
 * MySQL and SQLite, where `SALARY` is `salary`), and a row-id name (SQLite `rowid`, MySQL
 * `_rowid`) may be a protected integer key under another name, so with any protected
 * column in reach it is refused.
 */
function checkColumns(statement: CheckedStatement, touched: Touched[], catalog: Catalog): void {
  const guarded = touched.filter((t) => t.denied.length > 0 || t.masked.length > 0);
  if (guarded.length === 0) return;
  const key = catalog.columnNamesIgnoreCase === true ? (name: string): string => name.toLowerCase() : (name: string): string => name;
  const rowIds = new Set(catalog.rowIdNames ?? []);
  const label = (t: Touched): string => `${t.schema}.${t.name}`;
  const owns = (t: Touched, qualifier: string): boolean => (t.alias ?? t.name) === qualifier || t.name === qualifier;
  const firstProtected = (t: Touched): string => `${label(t)}.${t.denied[0] ?? t.masked[0] ?? ''}`;

  const denied = new Map<string, string>();
  const masked = new Map<string, string>();
  for (const t of guarded) {
    for (const column of t.denied) denied.set(key(column), `${label(t)}.${column}`);
    for (const column of t.masked) masked.set(key(column), `${label(t)}.${column}`);
  }
  const first = guarded[0]!;

  if (statement.hasSetOperation && masked.size > 0) {
    throw refused(masked.values().next().value ?? firstProtected(first), 'it is masked, and UNION/INTERSECT/EXCEPT would return it unmasked');
  }
  for (const parts of statement.columnRefs) {
    const direct = statement.directColumnRefs.has(parts);
    const last = parts[parts.length - 1] ?? '';
    if (last === '*') {
      const qualifier = parts.length > 1 ? parts[parts.length - 2] : undefined;
      const owners = qualifier === undefined ? guarded : guarded.filter((t) => owns(t, qualifier));
      const unknownQualifier = qualifier !== undefined && !touched.some((t) => owns(t, qualifier));
      const withDenied = (unknownQualifier ? guarded : owners).find((t) => t.denied.length > 0);
      const what = qualifier === undefined ? 'SELECT *' : `${qualifier}.*`;
      if (withDenied !== undefined) throw refused(`${label(withDenied)}.${withDenied.denied[0] ?? ''}`, `${what} would include it; name the columns you need`);
      const withMasked = (unknownQualifier ? guarded : owners).find((t) => t.masked.length > 0);
      if (withMasked !== undefined && !direct) throw refused(`${label(withMasked)}.${withMasked.masked[0] ?? ''}`, `it is masked, and ${what} here would pass it on unmasked`);
      continue;
    }
    const deniedHit = denied.get(key(last));
    if (deniedHit !== undefined) throw refused(deniedHit, 'it is denied for your role');
    if (rowIds.has(last.toLowerCase())) throw refused(firstProtected(first), `${last} is the row id, which may be a protected key under another name`);
    const maskedHit = masked.get(key(last));
    if (maskedHit !== undefined && !direct) {
      throw refused(maskedHit, 'it is masked for your role: select it as it is, not in an expression, filter, join or ordering');
    }
    if (parts.length === 1) {
      const whole = guarded.find((t) => owns(t, last));
      if (whole !== undefined) throw refused(firstProtected(whole), `the whole-row value ${last} would include it`);
    }
  }
  for (const column of statement.usingColumns) {
    const hit = denied.get(key(column)) ?? masked.get(key(column));
    if (hit !== undefined) throw refused(hit, 'it is protected for your role and cannot be joined on');
  }
  if (statement.hasNaturalJoin) throw refused(firstProtected(first), 'a NATURAL join could join on it; use JOIN ... ON');
}

function refused(column: string, why: string): BastionError {
  return new BastionError('DENIED_BY_POLICY', `The column ${column} is not available to you: ${why}.`);
}
