import { maskDomain } from '../../engine/mask-hash.js';
import type { MaskKind, ProtectedRelation } from '../../engine/protection.js';

/** A MySQL identifier in backquotes, a backquote inside it doubled. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * The masks of src/shape/mask.ts as MySQL expressions over one column, so a masked column
 * is its masked value before any filter, join, ordering or cast sees it. Only built-ins:
 * MySQL resolves an unqualified call to a built-in before any stored function.
 *
 * partial: `jane.doe@example.com` → `j***@example.com`, other text keeps its first
 *   character, `***` for text of 0–1 characters; NULL stays NULL.
 * hash: `hmac:` + the first 16 hex digits of HMAC-SHA-256 of the column's domain and the
 *   text (UTF-8), keyed with the process's mask key: the two `?` are the key XOR the outer and
 *   the inner pad, in that order (bound parameters, never text in the statement); the domain
 *   (`db.table.column` and a zero byte, engine/mask-hash.ts) is a hex constant.
 * null: NULL of the column's own type (a branch never taken: the value is never read).
 */
function maskExpression(kind: MaskKind, column: string, domain: Uint8Array): string {
  // The string functions take any value as its text, as mask.ts does (numbers, dates as text).
  const value = quoteIdentifier(column);
  switch (kind) {
    case 'partial':
      return `IF(LOCATE('@', ${value}) > 1, INSERT(${value}, 2, LOCATE('@', ${value}) - 2, '***'), IF(CHAR_LENGTH(${value}) <= 1, '***', CONCAT(LEFT(${value}, 1), '***')))`;
    case 'hash':
      return `CONCAT('hmac:', LEFT(SHA2(CONCAT(UNHEX(?), UNHEX(SHA2(CONCAT(UNHEX(?), UNHEX('${Buffer.from(domain).toString('hex')}'), CONVERT(${value} USING utf8mb4)), 256))), 256), 16))`;
    case 'null':
      return `CASE WHEN FALSE THEN ${value} END`;
  }
}

/** A protected table as the role may see it, and how many key parameters (`?`) it holds. */
export interface MaskedRelationSql {
  readonly subquery: string;
  readonly keyParams: number;
}

/**
 * `SELECT <kept columns>, <mask> AS <masked column> FROM db.table`: denied columns absent.
 * Undefined when every column is denied (MySQL has no `SELECT FROM t`).
 */
export function maskedRelationSql(relation: ProtectedRelation): MaskedRelationSql | undefined {
  const items: string[] = [];
  let keyParams = 0;
  for (const column of relation.columns) {
    if (column.treatment === 'deny') continue;
    if (column.treatment === 'keep') {
      items.push(quoteIdentifier(column.name));
      continue;
    }
    if (column.treatment === 'hash') keyParams += 2;
    items.push(`${maskExpression(column.treatment, column.name, maskDomain(relation.schema, relation.name, column.name))} AS ${quoteIdentifier(column.name)}`);
  }
  if (items.length === 0) return undefined;
  return { subquery: `SELECT ${items.join(', ')} FROM ${quoteIdentifier(relation.schema)}.${quoteIdentifier(relation.name)}`, keyParams };
}
