import type { SchemaInfo, TableDescription, TableInfo } from '../engine/introspection.js';
import type { Role } from './roles.js';

/**
 * What list_* and describe_table may show a role: denied tables and columns are
 * left out entirely, so they are invisible rather than merely unqueryable.
 */
export function visibleTables(role: Role, tables: TableInfo[]): TableInfo[] {
  return role.unrestricted ? tables : tables.filter((t) => role.tableAllowed(t.schema, t.name));
}

export function visibleSchemas(role: Role, schemas: SchemaInfo[], allTables: TableInfo[]): SchemaInfo[] {
  if (role.unrestricted) return schemas;
  const withVisibleTables = new Set(visibleTables(role, allTables).map((t) => t.schema));
  return schemas.filter((s) => withVisibleTables.has(s.schema));
}

/** undefined when the table itself is not visible. */
export function visibleDescription(role: Role, description: TableDescription): TableDescription | undefined {
  if (role.unrestricted) return description;
  const { schema, name } = description;
  if (!role.tableAllowed(schema, name)) return undefined;
  const denied = description.columns.map((c) => c.name).filter((column) => role.columnDenied(schema, name, column));
  if (denied.length === 0) return description;
  const mentions = (text: string): boolean => denied.some((column) => new RegExp(`(^|[^\\w$])"?${escapeRegExp(column)}"?([^\\w$]|$)`).test(text));
  return {
    ...description,
    columns: description.columns.filter((c) => !denied.includes(c.name)),
    constraints: description.constraints.filter((c) => !mentions(c.definition)),
    indexes: description.indexes.filter((i) => !mentions(i.definition)),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);
}
