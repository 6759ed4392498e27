import { BastionError } from '../errors/codes.js';
import type { CheckedStatement } from '../engine/policy.js';
import type { Catalog } from '../engine/catalog.js';
import type { MaskKind, Role } from './roles.js';
import { authorizeViews } from './views.js';

interface Touched {
  schema: string;
  name: string;
  alias: string | undefined;
  denied: string[];
  masked: string[];
}

/** Result columns to mask, by the table OID and attribute number PostgreSQL reports for them. */
export interface MaskPlan {
  readonly columns: readonly { tableOid: number; attnum: number; kind: MaskKind }[];
}

const NO_MASKS: MaskPlan = { columns: [] };

/** Same answer for a denied table and a missing one: a denied table is invisible. */
function invisible(name: string): BastionError {
  return new BastionError('TABLE_NOT_FOUND', `No table or view named ${name} is available to you.`);
}

/**
 * The authorize stage for a read: every relation the statement touches must be
 * allowed for the role, and no denied column may be reachable — by name, by a
 * star, as a whole-row value, through USING or a NATURAL join. A masked column may
 * only be selected as it is (then its values are masked on the way out); in an
 * expression, filter, join, ordering or set operation it is refused, because its
 * real value would shape the answer. Where the AST alone cannot tell which table a
 * name belongs to, the answer is no (fail closed).
 */
export async function authorizeRead(role: Role, statement: CheckedStatement, catalog: Catalog): Promise<MaskPlan> {
  if (role.unrestricted) return NO_MASKS;
  await authorizeViews(role, statement, catalog);
  const touched: Touched[] = [];
  const plan: { tableOid: number; attnum: number; kind: MaskKind }[] = [];
  for (const relation of statement.relations) {
    const written = relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
    const schema = relation.schema ?? (await catalog.resolve(relation.name));
    if (schema === undefined) throw invisible(written);
    if (!role.tableAllowed(schema, relation.name)) throw invisible(written);
    const entry: Touched = { schema, name: relation.name, alias: relation.alias, denied: [], masked: [] };
    if (role.hasColumnRules) {
      for (const column of await catalog.columnOrigins(schema, relation.name)) {
        if (role.columnDenied(schema, relation.name, column.name)) {
          entry.denied.push(column.name);
          continue;
        }
        const kind = role.columnMask(schema, relation.name, column.name);
        if (kind !== undefined) {
          entry.masked.push(column.name);
          plan.push({ tableOid: column.tableOid, attnum: column.attnum, kind });
        }
      }
    }
    touched.push(entry);
  }
  checkColumns(statement, touched);
  return plan.length === 0 ? NO_MASKS : { columns: plan };
}

function checkColumns(statement: CheckedStatement, touched: Touched[]): void {
  const guarded = touched.filter((t) => t.denied.length > 0 || t.masked.length > 0);
  if (guarded.length === 0) return;
  const label = (t: Touched): string => `${t.schema}.${t.name}`;
  const owns = (t: Touched, qualifier: string): boolean => (t.alias ?? t.name) === qualifier || t.name === qualifier;
  const firstProtected = (t: Touched): string => `${label(t)}.${t.denied[0] ?? t.masked[0] ?? ''}`;

  const denied = new Map<string, string>();
  const masked = new Map<string, string>();
  for (const t of guarded) {
    for (const column of t.denied) denied.set(column, `${label(t)}.${column}`);
    for (const column of t.masked) masked.set(column, `${label(t)}.${column}`);
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
    const deniedHit = denied.get(last);
    if (deniedHit !== undefined) throw refused(deniedHit, 'it is denied for your role');
    const maskedHit = masked.get(last);
    if (maskedHit !== undefined && !direct) {
      throw refused(maskedHit, 'it is masked for your role: select it as it is, not in an expression, filter, join or ordering');
    }
    if (parts.length === 1) {
      const whole = guarded.find((t) => owns(t, last));
      if (whole !== undefined) throw refused(firstProtected(whole), `the whole-row value ${last} would include it`);
    }
  }
  for (const column of statement.usingColumns) {
    const hit = denied.get(column) ?? masked.get(column);
    if (hit !== undefined) throw refused(hit, 'it is protected for your role and cannot be joined on');
  }
  if (statement.hasNaturalJoin) throw refused(firstProtected(first), 'a NATURAL join could join on it; use JOIN ... ON');
}

function refused(column: string, why: string): BastionError {
  return new BastionError('DENIED_BY_POLICY', `The column ${column} is not available to you: ${why}.`);
}
