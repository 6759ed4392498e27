import { BastionError } from '../errors/codes.js';
import type { CheckedDml } from '../engine/policy.js';
import type { Catalog, RelationName } from '../engine/catalog.js';
import type { ProtectedRelation } from '../engine/protection.js';
import type { Role } from './roles.js';
import { relationRules } from './family.js';
import { protectedIndexes } from './statement.js';

/**
 * What a write's success or failure would tell a role with rules about data it may not see:
 * the database's own constraints answer yes/no questions, and its plans pick row orders. Each
 * refusal here closes one such question before the write runs (authorizeWrite).
 */

/**
 * A foreign key between the written table and one the role may not see in full answers
 * questions about it: an INSERT that succeeds or fails 23503 tells whether a value exists in
 * a denied table or a masked column; a DELETE refused (RESTRICT) or cascading tells whether a
 * denied table points at a row, and how many rows. So for a role with rules, no write to a
 * table whose foreign keys reach, or are reached from, a table it may not read or columns it
 * has denied or masked (each judged with inheritance, family.ts).
 */
export async function refuseForeignKeyAnswers(role: Role, catalog: Catalog, schema: string, name: string): Promise<void> {
  if (catalog.foreignKeys === undefined) return;
  for (const key of await catalog.foreignKeys(schema, name)) {
    const rules = await relationRules(role, catalog, key.schema, key.name);
    const hidden = !rules.allowed || key.columns.some((column) => rules.denied(column) || rules.mask(column) !== undefined);
    if (hidden) {
      throw new BastionError(
        'DENIED_BY_POLICY',
        `Writes to ${schema}.${name} are not allowed for your role: a foreign key ${key.direction === 'to' ? 'from it reaches' : 'reaches it from'} data your role may not see, and whether a write succeeds would tell about that data.`,
      );
    }
  }
}

/**
 * A unique index or exclusion constraint that reads a protected column answers, by failing
 * or not, whether another row holds the same value there: an INSERT (an upsert, REPLACE, a
 * MERGE) that repeats the other key columns, or an UPDATE that sets one of its columns, fails
 * exactly when one does. So for a role with rules, no such write to a table with a key that
 * reads a column the role has denied or masked (each judged with inheritance, family.ts; the
 * partitions and children a write may reach are judged too). DELETE and an UPDATE that sets
 * none of the key's columns cannot fail on it.
 */
export async function refuseUniqueKeyAnswers(role: Role, catalog: Catalog, checked: CheckedDml, schema: string, name: string): Promise<void> {
  if (!role.hasColumnRules || catalog.indexes === undefined || checked.command === 'delete') return;
  const set: readonly string[] | undefined = checked.command === 'update' ? (checked.setColumns ?? (Array.isArray(checked.assigns) ? checked.assigns : undefined)) : undefined;
  const setsKey = (columns: readonly string[] | '*'): boolean =>
    checked.command !== 'update' || set === undefined || columns === '*' || columns.some((c) => set.some((s) => s.toLowerCase() === c.toLowerCase()));
  const reached = catalog.family === undefined ? [] : (await catalog.family(schema, name)).descendants;
  for (const table of [{ schema, name }, ...reached]) {
    const rules = await relationRules(role, catalog, table.schema, table.name);
    const hidden = (column: string): boolean => rules.denied(column) || rules.mask(column) !== undefined;
    const columns = (await catalog.columnOrigins(table.schema, table.name)).map((column) => column.name);
    for (const index of await catalog.indexes(table.schema, table.name)) {
      const protectedColumn = index.columns === '*' ? columns.find(hidden) : index.columns.find(hidden);
      if (!index.unique || protectedColumn === undefined || !setsKey(index.columns)) continue;
      throw new BastionError(
        'DENIED_BY_POLICY',
        `This write to ${schema}.${name} is not allowed for your role: a unique key of ${table.schema}.${table.name} includes a column your role may not see in full, and whether the write fails on that key would tell whether another row holds the same value.`,
      );
    }
  }
}

/**
 * Where a write's reads are not rebuilt (MySQL, SQLite), a table with rules that it reads is read as
 * it is: without ORDER BY (`INSERT … SELECT`, a subquery with LIMIT, GROUP_CONCAT) its rows may come
 * in the order of an index on a protected column, and the rows stored would keep that order. So no
 * such write reads a table with rules through which an index reads a protected column.
 */
export async function refuseIndexOrderedReads(relations: readonly ProtectedRelation[], target: RelationName, catalog: Catalog): Promise<void> {
  for (const relation of relations) {
    if (relation.schema === target.schema && relation.name === target.name) continue;
    if ((await protectedIndexes(catalog, relation.schema, relation.name, relation.columns)).length === 0) continue;
    throw new BastionError(
      'DENIED_BY_POLICY',
      `A write may not read ${relation.schema}.${relation.name} for your role: an index of it includes a column your role may not see, and the rows it reads could come in that column's order.`,
    );
  }
}
