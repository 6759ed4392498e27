import { BastionError } from '../../../errors/codes.js';
import type { ProtectedColumn } from '../../../engine/protection.js';
import { listOf, unwrap, type Node } from './write-nodes.js';

/**
 * The rule for the table a write changes, when the role has rules on its columns: the
 * statement may neither set, read nor return a protected (denied or masked) column as it
 * is. The target is not replaced like a table the write reads (it is what changes), so
 * this is checked on the parse tree, conservatively:
 * - sets: UPDATE's and ON CONFLICT's SET, an INSERT's column list, and an INSERT without
 *   one, which fills the leading columns in table order (all of them when it cannot be told
 *   how many);
 * - reads: any column reference whose last name is a protected column's, whichever
 *   relation it means; the target's whole row (`t`, `t.*`, `excluded`, `excluded.*`); and
 *   `t.<not a column>`, which PostgreSQL reads as a function of the whole row (`t.to_jsonb`).
 * RETURNING is rebuilt instead (write-protect.ts); what it keeps as written is checked here.
 */
export function checkTargetUse(type: string, node: Node, columns: readonly ProtectedColumn[], target: { schema: string; name: string }): void {
  const relation = node['relation'] as Node;
  const label = `${target.schema}.${target.name}`;
  for (const name of setColumns(type, node, columns)) {
    const column = columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (column !== undefined && column.treatment !== 'keep') throw refused(label, column, 'a write may not set it');
  }
  const names = targetNames(relation);
  if (node['onConflictClause'] !== undefined) names.push('excluded');
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'relation' && key !== 'returningClause') checkTargetRefs(value, names, columns, label);
  }
}

/**
 * PostgreSQL's system columns: `t.ctid` is a column, not a function of the whole row. Not
 * `tableoid`: on a partitioned table it names the partition a row is in, which tells a range
 * of its partition key — a protected column, perhaps — so it is refused like one.
 */
const SYSTEM_COLUMNS: ReadonlySet<string> = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax']);

/** The names a statement can call the target by: its alias (else its name) first, then its name. */
export function targetNames(relation: Node): string[] {
  const name = typeof relation['relname'] === 'string' ? relation['relname'] : '';
  const alias = (relation['alias'] as Node | undefined)?.['aliasname'];
  return typeof alias === 'string' && alias !== name ? [alias, name] : [name];
}

/** Refuses any column reference in `value` that reads a protected column or the whole row of the target. */
export function checkTargetRefs(value: unknown, names: readonly string[], columns: readonly ProtectedColumn[], label: string): void {
  const lowered = new Set(names.map((n) => n.toLowerCase()));
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const visit = (item: unknown): void => {
    if (Array.isArray(item)) {
      for (const child of item) visit(child);
      return;
    }
    if (item === null || typeof item !== 'object') return;
    const ref = (item as Node)['ColumnRef'] as Node | undefined;
    if (ref !== undefined) check(ref);
    for (const child of Object.values(item as Node)) visit(child);
  };
  const check = (ref: Node): void => {
    const parts = fieldNames(ref).map((part) => part.toLowerCase());
    const last = parts[parts.length - 1] ?? '';
    const qualifier = parts.length > 1 ? parts[parts.length - 2] : undefined;
    const column = byName.get(last);
    if (column !== undefined && column.treatment !== 'keep') throw refused(label, column, 'a write may not read it');
    const ofTarget = qualifier !== undefined && lowered.has(qualifier);
    if (last === 'tableoid' && (parts.length === 1 || ofTarget)) {
      throw new BastionError('DENIED_BY_POLICY', `tableoid of ${label} is not available to a write of yours: the partition a row is in tells about columns you may not see in full.`);
    }
    if ((parts.length === 1 && lowered.has(last)) || (ofTarget && last === '*')) {
      throw new BastionError('DENIED_BY_POLICY', `The whole row of ${label} is not available to a write of yours: it has columns you may not see in full. Name the columns you need.`);
    }
    if (ofTarget && column === undefined && !SYSTEM_COLUMNS.has(last)) {
      throw new BastionError('DENIED_BY_POLICY', `${parts.join('.')} is not a column of ${label}; written this way it would be a function of the whole row, which has columns you may not see in full.`);
    }
  };
  visit(value);
}

/** A ColumnRef's names as written, `*` for a star. */
export function fieldNames(ref: Node): string[] {
  return listOf(ref['fields']).map((field) => {
    const { A_Star: star, String: name } = field as { A_Star?: unknown; String?: { sval?: unknown } };
    if (star !== undefined) return '*';
    return typeof name?.sval === 'string' ? name.sval : '';
  });
}

/** The target columns a statement assigns; every column when an INSERT's values fill an unknown number of them. */
function setColumns(type: string, node: Node, columns: readonly ProtectedColumn[]): string[] {
  const named = (list: unknown): string[] =>
    listOf(list).flatMap((item) => {
      const [kind, target] = unwrap(item) ?? [];
      return kind === 'ResTarget' && typeof target?.['name'] === 'string' ? [target['name']] : [];
    });
  const conflict = named((node['onConflictClause'] as Node | undefined)?.['targetList']);
  if (type === 'UpdateStmt') return named(node['targetList']);
  if (type !== 'InsertStmt') return [];
  if (node['cols'] !== undefined) return [...named(node['cols']), ...conflict];
  const filled = positionalCount(node['selectStmt']);
  return [...columns.slice(0, filled ?? columns.length).map((c) => c.name), ...conflict];
}

/** How many leading columns an INSERT without a column list fills; undefined when it cannot be told. */
function positionalCount(selectStmt: unknown): number | undefined {
  if (selectStmt === undefined) return 0; // DEFAULT VALUES
  const [kind, select] = unwrap(selectStmt) ?? [];
  if (kind !== 'SelectStmt' || select === undefined) return undefined;
  const rows = listOf(select['valuesLists']);
  if (rows.length > 0) return Math.max(...rows.map((row) => listOf((row as { List?: Node }).List?.['items']).length));
  if (select['op'] !== 'SETOP_NONE') return undefined;
  const targets = listOf(select['targetList']);
  const star = JSON.stringify(targets).includes('"A_Star"');
  return star ? undefined : targets.length;
}

function refused(label: string, column: ProtectedColumn, why: string): BastionError {
  const what = column.treatment === 'deny' ? 'denied' : 'masked';
  return new BastionError('DENIED_BY_POLICY', `The column ${label}.${column.name} is ${what} for your role: ${why}.`);
}
