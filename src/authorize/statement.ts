import { BastionError } from '../errors/codes.js';
import type { CheckedStatement } from '../guard/sql/policy.js';
import type { RelationCatalog } from './catalog.js';
import type { Role } from './roles.js';

interface Touched {
  schema: string;
  name: string;
  alias: string | undefined;
  denied: string[];
}

/** Same answer for a denied table and a missing one: a denied table is invisible. */
function invisible(name: string): BastionError {
  return new BastionError('TABLE_NOT_FOUND', `No table or view named ${name} is available to you.`);
}

/**
 * The authorize stage for a read: every relation the statement touches must be
 * allowed for the role, and no denied column may be reachable — by name, by a
 * star, as a whole-row value, through USING or a NATURAL join. Where the AST alone
 * cannot tell which table a name belongs to, the answer is no (fail closed).
 */
export async function authorizeRead(role: Role, statement: CheckedStatement, catalog: RelationCatalog): Promise<void> {
  if (role.unrestricted) return;
  const touched: Touched[] = [];
  for (const relation of statement.relations) {
    const written = relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
    const schema = relation.schema ?? (await catalog.resolve(relation.name));
    if (schema === undefined) throw invisible(written);
    if (!role.tableAllowed(schema, relation.name)) throw invisible(written);
    const denied = role.hasColumnRules
      ? (await catalog.columnsOf(schema, relation.name)).filter((column) => role.columnDenied(schema, relation.name, column))
      : [];
    touched.push({ schema, name: relation.name, alias: relation.alias, denied });
  }
  const guarded = touched.filter((t) => t.denied.length > 0);
  if (guarded.length === 0) return;

  const deniedNames = new Map<string, string>();
  for (const t of guarded) for (const column of t.denied) deniedNames.set(column, `${t.schema}.${t.name}.${column}`);
  const guardedLabels = new Set<string>();
  for (const t of guarded) {
    guardedLabels.add(t.alias ?? t.name);
    guardedLabels.add(t.name);
  }
  const first = guarded[0]!;
  const firstDenied = `${first.schema}.${first.name}.${first.denied[0] ?? ''}`;

  for (const parts of statement.columnRefs) {
    const last = parts[parts.length - 1] ?? '';
    if (last === '*') {
      const qualifier = parts.length > 1 ? parts[parts.length - 2] : undefined;
      if (qualifier === undefined) throw deniedColumn(firstDenied, 'SELECT * would include it; name the columns you need');
      const owner = guarded.find((t) => (t.alias ?? t.name) === qualifier || t.name === qualifier);
      if (owner !== undefined || !touched.some((t) => (t.alias ?? t.name) === qualifier || t.name === qualifier)) {
        const target = owner ?? first;
        throw deniedColumn(`${target.schema}.${target.name}.${target.denied[0] ?? ''}`, `${qualifier}.* would include it; name the columns you need`);
      }
      continue;
    }
    const hit = deniedNames.get(last);
    if (hit !== undefined) throw deniedColumn(hit, 'it is denied for your role');
    if (parts.length === 1 && guardedLabels.has(last)) {
      throw deniedColumn(firstDeniedOf(guarded, last) ?? firstDenied, `the whole-row value ${last} would include it`);
    }
  }
  for (const column of statement.usingColumns) {
    const hit = deniedNames.get(column);
    if (hit !== undefined) throw deniedColumn(hit, 'it is denied for your role');
  }
  if (statement.hasNaturalJoin) throw deniedColumn(firstDenied, 'a NATURAL join could join on it; use JOIN ... ON');
}

function firstDeniedOf(guarded: Touched[], label: string): string | undefined {
  const t = guarded.find((g) => (g.alias ?? g.name) === label || g.name === label);
  return t === undefined ? undefined : `${t.schema}.${t.name}.${t.denied[0] ?? ''}`;
}

function deniedColumn(column: string, why: string): BastionError {
  return new BastionError('DENIED_BY_POLICY', `The column ${column} is not available to you: ${why}.`);
}
