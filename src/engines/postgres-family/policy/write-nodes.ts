import { BastionError } from '../../../errors/codes.js';
import { isSystemSchema } from './nodes.js';
import type { RelationRef } from '../../../engine/policy.js';

// Reading libpg-query's JSON tree for the write policy (write-walker, ddl-rules, write-before):
// node access, field allow-lists, and the relations a write changes.

export type Node = Record<string, unknown>;

/** A write or schema change outside what the tools allow. */
export function writeDenied(message: string): BastionError {
  return new BastionError('WRITE_NOT_ALLOWED', message);
}

export function featureDenied(message: string): BastionError {
  return new BastionError('SQL_FEATURE_DENIED', message);
}

/** The type and body of a node as libpg-query writes it: `{ Type: body }`. */
export function unwrap(value: unknown): [string, Node] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const entry = Object.entries(value)[0];
  return entry === undefined ? undefined : [entry[0], entry[1] as Node];
}

export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The strings of a name list (`[{ String: { sval } }]`). */
export function namesOf(value: unknown): string[] {
  return listOf(value).map((item) => {
    const s = (item as { String?: { sval?: unknown } }).String?.sval;
    return typeof s === 'string' ? s : '?';
  });
}

/**
 * Refuses a node carrying a field outside `allowed`. Deny by default: an option
 * not reviewed here (a tablespace, storage parameters, a grammar feature of a
 * later PostgreSQL) is refused rather than passed through unseen.
 */
export function onlyFields(node: Node, allowed: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(node)) {
    if (!allowed.has(key)) throw featureDenied(`${what}: ${FIELD_NAMES[key] ?? key} is not allowed here.`);
  }
}

/** How the SQL spells the parse-tree fields refused most often. */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  options: 'WITH (...) options',
  tablespacename: 'TABLESPACE',
  tableSpace: 'TABLESPACE',
  tableSpaceName: 'TABLESPACE',
  accessMethod: 'USING (a table access method)',
  partspec: 'PARTITION BY',
  ofTypename: 'OF (a type)',
  constraints: 'a constraint here',
  fdwoptions: 'OPTIONS',
  compression: 'COMPRESSION',
  storage: 'STORAGE',
  storage_name: 'STORAGE',
  opclassopts: 'operator class options',
};

/**
 * A relation a statement writes, creates or changes, with its schema as written
 * (undefined when unqualified) and its name as the parser folded it. Never in
 * another database or a system schema.
 */
export function changedRelation(value: unknown, what: string): RelationRef {
  const node = (value ?? {}) as Node;
  const name = node['relname'];
  if (typeof name !== 'string') throw featureDenied(`${what} names no relation.`);
  if (typeof node['catalogname'] === 'string') throw featureDenied('References to another database are not allowed.');
  const schema = typeof node['schemaname'] === 'string' ? node['schemaname'] : undefined;
  if (schema !== undefined && isSystemSchema(schema)) {
    throw writeDenied(`${what} ${schema}.${name} is in a system schema; system catalogs are never changed.`);
  }
  const alias = (node['alias'] as { aliasname?: unknown } | undefined)?.aliasname;
  return { schema, name, alias: typeof alias === 'string' ? alias : undefined };
}
