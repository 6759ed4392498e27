import type { Catalog } from '../engine/catalog.js';
import type { Role } from './roles.js';
import { relationRules } from './family.js';

/** Views over views deeper than this count as reaching such an index (a cycle, or a catalog gone wrong). */
const MAX_VIEW_DEPTH = 16;

/**
 * Whether a statement of a role with column rules reads — itself or through views — a
 * relation with an index that includes a column the role has denied or masked (an index on
 * an expression or with a predicate counts as including every column). An index scan
 * returns rows in the order of the index's columns, within ties of the ones it was chosen
 * for too: `WHERE dept >= 'eng' ORDER BY dept LIMIT 10` through an index on (dept, salary)
 * returns the lowest real salaries first. The engine then plans without index scans
 * (ReadProtection.indexedProtected). A relation without column rules costs no catalog read.
 * Absent Catalog.indexedColumns, the engine keeps such indexes out by itself: false.
 */
export async function readsProtectedIndex(role: Role, catalog: Catalog, relations: readonly { schema: string; name: string }[]): Promise<boolean> {
  if (role.unrestricted || !role.hasColumnRules || catalog.indexedColumns === undefined) return false;
  for (const relation of relations) if (await orderedByProtected(role, catalog, relation.schema, relation.name, 0)) return true;
  return false;
}

async function orderedByProtected(role: Role, catalog: Catalog, schema: string, name: string, depth: number): Promise<boolean> {
  if (depth >= MAX_VIEW_DEPTH) return true;
  // A view reads its relations with the plan of the statement that reads it.
  const reads = await catalog.viewReads(schema, name);
  if (reads !== undefined) {
    for (const read of reads) {
      if (read.schema === schema && read.name === name) continue;
      if (await orderedByProtected(role, catalog, read.schema, read.name, depth + 1)) return true;
    }
    return false;
  }
  const rules = await relationRules(role, catalog, schema, name);
  const columns = (await catalog.columnOrigins(schema, name)).map((column) => column.name);
  const isProtected = (column: string): boolean => rules.denied(column) || rules.mask(column) !== undefined;
  if (!columns.some(isProtected)) return false;
  const indexed = (await catalog.indexedColumns?.(schema, name)) ?? [];
  return indexed.includes('*') || indexed.some(isProtected);
}
