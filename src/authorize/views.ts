import { BastionError } from '../errors/codes.js';
import type { Catalog, ViewRead } from '../engine/catalog.js';
import type { CheckedStatement } from '../engine/policy.js';
import { relationRules, type RelationRules } from './family.js';
import type { Role } from './roles.js';

/** Views over views deeper than this are denied rather than followed (a cycle, or a catalog gone wrong). */
const MAX_VIEW_DEPTH = 16;

/**
 * Denial follows data through views: a view or materialized view the statement reads
 * is denied, exactly like a denied table (TABLE_NOT_FOUND, the same message), when its
 * definition reads — directly or through other views — a relation the role may not
 * read, or a column the role has denied or masked. A view that `tables.allow` names
 * exactly (no wildcard) is the configuration's explicit choice and is read as allowed.
 * Names the catalog cannot resolve are left to the relation check, which refuses them.
 */
export async function authorizeViews(role: Role, statement: CheckedStatement, catalog: Catalog): Promise<void> {
  if (role.unrestricted) return;
  for (const relation of statement.relations) {
    const schema = relation.schema ?? (await catalog.resolve(relation.name));
    if (schema === undefined) continue;
    if (await readsProtected(role, catalog, schema, relation.name)) {
      throw invisibleView(relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`);
    }
  }
}

/**
 * Whether a relation is a view whose data includes what the role may not see. False
 * for a table (the relation check judges tables) and for a view the role names explicitly.
 */
export async function readsProtected(role: Role, catalog: Catalog, schema: string, name: string, depth = 0): Promise<boolean> {
  if (role.unrestricted || role.tableNamedExplicitly(schema, name)) return false;
  const reads = await catalog.viewReads(schema, name);
  if (reads === undefined) return false;
  return anyProtected(role, catalog, schema, name, reads, depth);
}

/**
 * What a view reads, when that includes data the role may not see — whether or not a rule
 * names the view; undefined for a table, or a view over what the role may see in full.
 */
export async function protectedViewReads(role: Role, catalog: Catalog, schema: string, name: string): Promise<readonly ViewRead[] | undefined> {
  const reads = await catalog.viewReads(schema, name);
  if (reads === undefined) return undefined;
  return (await anyProtected(role, catalog, schema, name, reads, 0)) ? reads : undefined;
}

/**
 * Denial follows data through the functions the configuration allows (`sql.allow_functions`)
 * too: a function of a schema of its own that the statement calls is judged like a view by
 * what its body reads (Catalog.functionReads), and refused like a denied table when that
 * includes a relation the role may not read or one with a column rule for it — or when its
 * body cannot be read through. Built-ins (pg_catalog, or a name without a schema, which
 * resolves only to built-ins under the pinned search path) are not asked about.
 */
export async function authorizeFunctions(role: Role, statement: CheckedStatement, catalog: Catalog): Promise<void> {
  if (role.unrestricted || catalog.functionReads === undefined) return;
  for (const qualified of statement.functions) {
    const dot = qualified.indexOf('.');
    if (dot < 0) continue;
    const schema = qualified.slice(0, dot);
    const name = qualified.slice(dot + 1);
    if (schema === 'pg_catalog') continue;
    const reads = await catalog.functionReads(schema, name);
    if (reads !== undefined && (await anyProtected(role, catalog, schema, name, reads, 0, true))) {
      throw new BastionError('SQL_FUNCTION_DENIED', `The function ${qualified} reads data your role may not see, so it is not available to you.`);
    }
  }
}

/**
 * Whether what a view or function reads includes what the role may not see: a relation it
 * may not read, a column (of `columns`, or any when '*') it has denied or masked — or with
 * `wholeRelations`, any column rule on a relation read at all — directly or through views.
 * The object itself among its reads means its definition could not be read: protected.
 */
async function anyProtected(role: Role, catalog: Catalog, schema: string, name: string, reads: readonly ViewRead[], depth: number, wholeRelations = false): Promise<boolean> {
  if (depth >= MAX_VIEW_DEPTH) return true;
  for (const read of reads) {
    if (read.schema === schema && read.name === name) return true;
    // The rules of what it reads, as they follow rows through inheritance and partitions.
    const rules = await relationRules(role, catalog, read.schema, read.name);
    if (!rules.allowed) return true;
    if (role.hasColumnRules && (await readsGuardedColumn(catalog, read, rules, wholeRelations))) return true;
    // A view it reads counts by its data, named by a rule or not: naming a view lifts a table
    // denial for that view only, never for a view over it (which would read it unmasked).
    const inner = await catalog.viewReads(read.schema, read.name);
    if (inner !== undefined && (await anyProtected(role, catalog, read.schema, read.name, inner, depth + 1))) return true;
  }
  return false;
}

/**
 * Whether `read` takes a column its relation's rules deny or mask: one of the columns it
 * names, or any column when it reads them all ('*') or `wholeRelations` is set.
 */
export async function readsGuardedColumn(
  catalog: Catalog,
  read: ViewRead,
  rules: RelationRules,
  wholeRelations = false,
): Promise<boolean> {
  const columns = read.columns === '*' || wholeRelations ? (await catalog.columnOrigins(read.schema, read.name)).map((c) => c.name) : read.columns;
  return columns.some((column) => rules.denied(column) || rules.mask(column) !== undefined);
}

/** The same answer as for a denied or missing table (authorize/statement.ts). */
function invisibleView(name: string): BastionError {
  return new BastionError('TABLE_NOT_FOUND', `No table or view named ${name} is available to you.`);
}
