import { createHash } from 'node:crypto';
import type { MaskKind } from '../../../engine/protection.js';
import { parseSql } from './parse.js';

type Node = Record<string, unknown>;

/** The column a template applies to; replaced by the real column reference. */
const COLUMN = 'bastion_masked_value';
/** The hash's domain in a template (hex); replaced by the column's own (engine/mask-hash.ts). */
const DOMAIN = 'bastion_mask_domain';

/**
 * The masks of src/shape/mask.ts as SQL expressions over one column, so a masked column
 * is its masked value before any filter, join, ordering or cast sees it. Every function
 * is pg_catalog's, and so is the type `text`: the statement runs with the search path pinned
 * to pg_catalog (the deparser prints `pg_catalog.text` as `text` anyway).
 *
 * partial: `jane.doe@example.com` → `j***@example.com`, other text keeps its first
 *   character, `***` for text of 0–1 characters; NULL stays NULL.
 * hash: `hmac:` + the first 16 hex digits of HMAC-SHA-256 of the column's domain and the
 *   text, keyed with the process's mask key: $1 and $2 are the key XOR the HMAC inner and
 *   outer pads (bound parameters, never text in the statement); the domain
 *   (`schema.table.column` and a zero byte) is a hex constant.
 * null: NULL of the column's own type (a branch never taken: the value is never read).
 */
const TEMPLATES: Record<MaskKind, string> = {
  partial: `SELECT CASE
    WHEN pg_catalog.strpos(${COLUMN}::text, '@') > 1
      THEN pg_catalog.substr(${COLUMN}::text, 1, 1) || '***' || pg_catalog.substr(${COLUMN}::text, pg_catalog.strpos(${COLUMN}::text, '@'))
    WHEN pg_catalog.length(${COLUMN}::text) <= 1 THEN '***'
    ELSE pg_catalog.substr(${COLUMN}::text, 1, 1) || '***'
  END`,
  hash: `SELECT 'hmac:' || pg_catalog.substr(pg_catalog.encode(pg_catalog.sha256(
    pg_catalog.decode($2, 'hex') || pg_catalog.sha256(pg_catalog.decode($1, 'hex') || pg_catalog.decode('${DOMAIN}', 'hex') || pg_catalog.convert_to(${COLUMN}::text, 'UTF8'))
  ), 'hex'), 1, 16)`,
  null: `SELECT CASE WHEN false THEN ${COLUMN} END`,
};

const parsed = new Map<MaskKind, Node>();

/**
 * The expression that masks `column` (a column of the one relation in scope) with `kind`;
 * `firstKeyParam` is the number of the first of the two key parameters of a hash, `domain`
 * the column's hash domain (maskDomain of the relation the column belongs to).
 */
export function maskExpression(kind: MaskKind, column: string, firstKeyParam: number, domain: Uint8Array): Node {
  let template = parsed.get(kind);
  if (template === undefined) {
    const select = parseSql(TEMPLATES[kind]).stmts?.[0]?.stmt as { SelectStmt: { targetList: { ResTarget: { val: Node } }[] } };
    template = withoutLocations(select.SelectStmt.targetList[0]?.ResTarget.val) as Node;
    parsed.set(kind, template);
  }
  return instantiate(template, column, firstKeyParam - 1, Buffer.from(domain).toString('hex')) as Node;
}

/** A copy of `node` with the template column replaced by `column`, $n by $(n + offset) and the domain by `domain`. */
function instantiate(node: unknown, column: string, offset: number, domain: string): unknown {
  if (Array.isArray(node)) return node.map((item) => instantiate(item, column, offset, domain));
  if (node === null || typeof node !== 'object') return node;
  const object = node as Node;
  const ref = object['ColumnRef'] as { fields?: { String?: { sval?: string } }[] } | undefined;
  if (ref?.fields?.length === 1 && ref.fields[0]?.String?.sval === COLUMN) {
    return { ColumnRef: { fields: [{ String: { sval: column } }] } };
  }
  const param = object['ParamRef'] as { number?: number } | undefined;
  if (param !== undefined) return { ParamRef: { number: (param.number ?? 0) + offset } };
  if (object['sval'] === DOMAIN) return { ...object, sval: domain };
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, instantiate(value, column, offset, domain)]));
}

/** A parse tree without `location` fields: positions in the text it came from mean nothing elsewhere. */
export function withoutLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLocations);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Node)
      .filter(([key]) => key !== 'location')
      .map(([key, value]) => [key, withoutLocations(value)]),
  );
}

const BLOCK = 64;

/**
 * The two parameters of the hash mask for `key`: HMAC-SHA-256's inner and outer padded
 * keys, as hex, so the database computes exactly what node:crypto's createHmac does.
 */
export function hashKeyParams(key: Uint8Array): [string, string] {
  const block = Buffer.alloc(BLOCK);
  (key.length > BLOCK ? createHash('sha256').update(key).digest() : Buffer.from(key)).copy(block);
  const inner = Buffer.from(block.map((byte) => byte ^ 0x36));
  const outer = Buffer.from(block.map((byte) => byte ^ 0x5c));
  return [inner.toString('hex'), outer.toString('hex')];
}
