import type { SchemaInfo, TableDescription, TableInfo } from '../engine/introspection.js';
import type { Catalog } from '../engine/catalog.js';
import type { Role } from './roles.js';
import { relationRules, type RelationRules } from './family.js';
import { readsProtected } from './views.js';

/**
 * What list_* and describe_table may show a role: denied tables and columns are
 * left out entirely, so they are invisible rather than merely unqueryable.
 */
export function visibleTables(role: Role, tables: TableInfo[]): TableInfo[] {
  return role.unrestricted ? tables : tables.filter((t) => role.tableAllowed(t.schema, t.name));
}

/**
 * visibleTables, less the views that read what the role may not see (authorize/views.ts):
 * such a view is as invisible in a listing as it is to a query.
 */
export async function visibleRelations(role: Role, tables: TableInfo[], catalog: Catalog): Promise<TableInfo[]> {
  const allowed = visibleTables(role, tables);
  if (role.unrestricted) return allowed;
  const shown: TableInfo[] = [];
  // One at a time: the catalog caches each answer, and a listing must not flood the pool.
  for (const table of allowed) {
    if (isView(table) ? await readsProtected(role, catalog, table.schema, table.name) : !(await relationRules(role, catalog, table.schema, table.name)).allowed) continue;
    shown.push(table);
  }
  return shown;
}

export function visibleSchemas(role: Role, schemas: SchemaInfo[], allTables: TableInfo[]): SchemaInfo[] {
  if (role.unrestricted) return schemas;
  const withVisibleTables = new Set(visibleTables(role, allTables).map((t) => t.schema));
  return schemas.filter((s) => withVisibleTables.has(s.schema));
}

/**
 * undefined when the table itself is not visible. `rules` are the role's rules as they
 * follow rows through inheritance and partitions (family.ts); the role's own when absent.
 */
export function visibleDescription(role: Role, description: TableDescription, rules?: RelationRules): TableDescription | undefined {
  if (role.unrestricted) return description;
  const { schema, name } = description;
  if (!(rules?.allowed ?? role.tableAllowed(schema, name))) return undefined;
  const isDenied = rules === undefined ? (column: string): boolean => role.columnDenied(schema, name, column) : rules.denied;
  const isMasked = rules === undefined ? (column: string): boolean => role.columnMask(schema, name, column) !== undefined : (column: string): boolean => rules.mask(column) !== undefined;
  const denied = description.columns.map((c) => c.name).filter(isDenied);
  const masked = description.columns.map((c) => c.name).filter((column) => !isDenied(column) && isMasked(column));
  if (denied.length === 0 && masked.length === 0) return description;
  // A protected column's default, CHECK constraints and indexes tell about its real values (a
  // default is the stored value of every row it filled, a CHECK bounds them): none is shown.
  const guarded = [...denied, ...masked];
  const mentions = (text: string): boolean => guarded.some((column) => new RegExp(`(^|[^\\w$])"?${escapeRegExp(column)}"?([^\\w$]|$)`).test(text));
  return {
    ...description,
    columns: description.columns.filter((c) => !denied.includes(c.name)).map((c) => (masked.includes(c.name) ? { ...c, default: null } : c)),
    constraints: description.constraints.filter((c) => !mentions(c.definition)),
    indexes: description.indexes.filter((i) => !mentions(i.definition)),
  };
}

/** visibleDescription, and undefined as well for a view that reads what the role may not see. */
export async function visibleRelationDescription(role: Role, description: TableDescription, catalog: Catalog): Promise<TableDescription | undefined> {
  if (role.unrestricted) return description;
  const visible = visibleDescription(role, description, await relationRules(role, catalog, description.schema, description.name));
  if (visible === undefined) return visible;
  return (await readsProtected(role, catalog, description.schema, description.name)) ? undefined : visible;
}

/** Every engine's listing names a view's kind with "view" ('view', 'materialized view', MySQL's 'VIEW'). */
function isView(table: TableInfo): boolean {
  return /view/i.test(table.kind);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);
}
