import { createHash } from 'node:crypto';

/**
 * Where a node was written, not what it is (`location`, `stmt_location`, `stmt_len`,
 * `rexpr_list_start`/`_end`): left out, so spacing and comments do not change a fingerprint.
 */
const isPosition = (key: string): boolean => key.endsWith('location') || key === 'stmt_len' || key.endsWith('_start') || key.endsWith('_end');
/** Values that stand for themselves: a constant, a parameter, or a cast of one. */
const VALUE_NODES: ReadonlySet<string> = new Set(['A_Const', 'ParamRef']);

/**
 * The audit's fingerprint of statements the policy already parsed, so a call is parsed
 * once (libpg-query's own fingerprint parses the text a second time). Statements that
 * differ only in constants, parameter numbers, the length of a list of constants
 * (`IN (1, 2)` and `IN (1, 2, 3)`), the names given to output columns, spacing or comments
 * share one; anything else — tables, columns, functions, operators, clauses — makes
 * another. 16 hex digits of SHA-256 over the tree with those parts left out: no
 * constant's value can be read back from it.
 */
export function fingerprintStatements(statements: readonly unknown[]): string {
  const parts: string[] = [];
  write(parts, statements, false);
  return createHash('sha256').update(parts.join('')).digest('hex').slice(0, 16);
}

function write(parts: string[], node: unknown, outputList: boolean): void {
  if (Array.isArray(node)) {
    if (node.length > 0 && node.every(isValue)) {
      parts.push('[?]');
      return;
    }
    parts.push('[');
    for (const item of node) {
      write(parts, item, outputList);
      parts.push(',');
    }
    parts.push(']');
    return;
  }
  if (node !== null && typeof node === 'object') {
    parts.push('{');
    for (const [key, value] of Object.entries(node)) {
      if (isPosition(key)) continue;
      // An output column's name (SELECT a AS name) does not change what a SELECT reads.
      if (outputList && key === 'name') continue;
      parts.push(JSON.stringify(key), ':');
      if (VALUE_NODES.has(key)) parts.push('?');
      else if (key === 'SelectStmt') writeSelect(parts, value);
      else write(parts, value, outputList && key === 'ResTarget');
      parts.push(',');
    }
    parts.push('}');
    return;
  }
  parts.push(JSON.stringify(node) ?? 'null');
}

/** A SELECT's target list items are output columns: their names are left out; the rest as usual. */
function writeSelect(parts: string[], select: unknown): void {
  if (select === null || typeof select !== 'object') {
    write(parts, select, false);
    return;
  }
  parts.push('{');
  for (const [key, value] of Object.entries(select)) {
    if (isPosition(key)) continue;
    parts.push(JSON.stringify(key), ':');
    write(parts, value, key === 'targetList');
    parts.push(',');
  }
  parts.push('}');
}

function isValue(item: unknown): boolean {
  if (item === null || typeof item !== 'object') return false;
  const [key, value] = Object.entries(item)[0] ?? [];
  if (key === undefined) return false;
  if (VALUE_NODES.has(key)) return true;
  return key === 'TypeCast' && isValue((value as { arg?: unknown } | undefined)?.arg);
}
