import { Buffer } from 'node:buffer';
import { scanSync } from 'libpg-query';
import { parseSql } from './parse.js';
import { listOf, unwrap, type Node } from './write-nodes.js';
import type { BeforeRead } from '../../../engine/policy.js';

/**
 * The SELECT that reads the rows an UPDATE would change, built from the statement's own
 * text (the target between UPDATE and SET, the condition after WHERE) and proven by the
 * parser to be exactly `SELECT *` of that relation with that WHERE — the same tree, only
 * the placeholders renumbered — or undefined, and the preview shows after-rows alone.
 * Only a plain UPDATE: with FROM a row may join several times, with WITH the condition
 * may read the CTE, and an own RETURNING decides the columns shown.
 */
export function beforeReadOf(sql: string, end: number, node: Node): BeforeRead | undefined {
  if (listOf(node['fromClause']).length > 0 || node['withClause'] !== undefined || node['returningClause'] !== undefined || node['whereClause'] === undefined) return undefined;
  const bytes = Buffer.from(sql, 'utf8').subarray(0, end);
  let tokens;
  try {
    tokens = scanSync(bytes.toString('utf8')).tokens;
  } catch {
    return undefined;
  }
  let depth = 0;
  let set = -1;
  let where = -1;
  for (const [i, token] of tokens.entries()) {
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && set === -1 && token.text.toUpperCase() === 'SET') set = i;
    else if (depth === 0 && set !== -1 && token.text.toUpperCase() === 'WHERE') {
      where = i;
      break;
    }
  }
  const update = tokens[0];
  const setToken = tokens[set];
  const whereToken = tokens[where];
  if (update?.text.toUpperCase() !== 'UPDATE' || setToken === undefined || whereToken === undefined) return undefined;

  // The WHERE's placeholders, renumbered in order of first use: the SELECT binds only those.
  const numbers = new Map<number, number>();
  let condition = '';
  let at = whereToken.end;
  for (const token of tokens.slice(where + 1)) {
    if (token.tokenName !== 'PARAM') continue;
    const n = Number(token.text.slice(1));
    if (!numbers.has(n)) numbers.set(n, numbers.size + 1);
    condition += `${bytes.subarray(at, token.start).toString('utf8')}$${numbers.get(n)}`;
    at = token.end;
  }
  condition += bytes.subarray(at).toString('utf8');
  const relation = bytes.subarray(update.end, setToken.start).toString('utf8');
  const select = `SELECT * FROM ${relation}\nWHERE ${condition}`;

  const expected = {
    targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }],
    fromClause: [{ RangeVar: node['relation'] }],
    whereClause: renumber(node['whereClause'], numbers),
    limitOption: 'LIMIT_OPTION_DEFAULT',
    op: 'SETOP_NONE',
  };
  let reparsed: Node | undefined;
  try {
    const statements = parseSql(select).stmts ?? [];
    const [type, body] = statements.length === 1 ? (unwrap(statements[0]?.stmt) ?? []) : [];
    reparsed = type === 'SelectStmt' ? body : undefined;
  } catch {
    reparsed = undefined;
  }
  if (reparsed === undefined || canonical(reparsed) !== canonical(expected)) return undefined;
  return { sql: select, paramIndexes: [...numbers.keys()].map((n) => n - 1) };
}

/** The columns an UPDATE's SET names (a multi-column `(a, b) = …` names each). */
export function setColumnsOf(node: Node): string[] {
  return listOf(node['targetList']).flatMap((item) => {
    const [type, target] = unwrap(item) ?? [];
    return type === 'ResTarget' && typeof target?.['name'] === 'string' ? [target['name']] : [];
  });
}

function renumber(tree: unknown, numbers: ReadonlyMap<number, number>): unknown {
  return JSON.parse(JSON.stringify(tree), (key, value: unknown) => {
    if (key !== 'ParamRef' || typeof value !== 'object' || value === null) return value;
    const ref = value as { number?: unknown };
    return typeof ref.number === 'number' ? { ...ref, number: numbers.get(ref.number) ?? -1 } : value;
  }) as unknown;
}

/** A tree as JSON without source positions, which differ between two texts of the same statement. */
function canonical(tree: unknown): string {
  return JSON.stringify(tree, (key, value: unknown) => (key === 'location' ? undefined : value)) ?? '';
}
