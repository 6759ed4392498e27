import { BastionError } from '../../../errors/codes.js';
import type { BeforeRead, CheckedDml } from '../../../engine/policy.js';
import type { ProtectedColumn, ProtectedWrite, ReadProtection, WriteProtection } from '../../../engine/protection.js';
import { hashKeyParams, maskExpression } from './mask-sql.js';
import { maskDomain } from '../../../engine/mask-hash.js';
import { parseSql } from './parse.js';
import { RelationRewriter, RewriteMismatch, type TextEdit } from './relation-rewriter.js';
import { cannotRewrite, render, rewrite, type Rewritten } from './rewrite.js';
import { checkTargetRefs, checkTargetUse, fieldNames, targetNames } from './write-target.js';
import { listOf, unwrap, type Node } from './write-nodes.js';

/**
 * Column security by construction for a write (ReadGuard.protectWrite), on the PostgreSQL
 * family. Every relation the write READS — FROM, USING, MERGE's source, subqueries, CTE
 * bodies, INSERT ... SELECT — is replaced exactly as a read's is (relation-rewriter.ts): a
 * denied column does not exist, a masked one is its mask, so what a write copies from
 * another table is what the role could read anyway. The TARGET is never replaced (it is
 * what the statement changes): a target with protected columns is refused where the
 * statement sets, reads or returns one of them as it is (write-target.ts), and its
 * RETURNING is rebuilt on the tree — `*` and `t.*` without denied columns and with masked
 * ones computed by their mask, a masked column named on its own by its mask. The dry run's
 * sample and its read of the rows before an UPDATE are rebuilt the same way, so a preview
 * shows what the role may see, by construction. Every relation ends up qualified: the
 * statements run with the search path pinned.
 */
export class WriteProtector {
  /** Rebuilt statements by statement text and rules: a repeated write costs a lookup. */
  private readonly cache = new Map<string, Rebuilt | BastionError>();

  constructor(private readonly cacheSize = 2000) {}

  protect(checked: CheckedDml, protection: WriteProtection, hashKey: Uint8Array): ProtectedWrite {
    const key = JSON.stringify([checked.sql, checked.sampleSql, checked.before, [...protection.resolved].sort(), protection.relations, protection.target]);
    let rebuilt = this.cache.get(key);
    if (rebuilt === undefined) {
      rebuilt = settle(() => rebuildAll(checked, protection));
      if (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, rebuilt);
    }
    if (rebuilt instanceof BastionError) throw rebuilt;
    const { main, sample, before } = rebuilt;
    // Each statement binds the key only if it computes a hash: PostgreSQL refuses a parameter a statement does not use.
    const keys = (uses: boolean | undefined): string[] => (uses === true ? hashKeyParams(hashKey) : []);
    return {
      sql: main.sql,
      params: keys(main.usesHashKey),
      sampleSql: sample?.sql,
      sampleParams: keys(sample?.usesHashKey),
      before: before === undefined ? undefined : { ...before.read, extraParams: keys(before.usesHashKey) },
      // An index on a protected column stays out of the plans (WriteProtection.indexedProtected).
      ...(protection.indexedProtected === true ? { withoutIndexScans: true } : {}),
    };
  }
}

interface Rebuilt {
  readonly main: Rewritten;
  readonly sample: Rewritten | undefined;
  readonly before: { read: BeforeRead; usesHashKey: boolean } | undefined;
}

function rebuildAll(checked: CheckedDml, protection: WriteProtection): Rebuilt {
  const firstKeyParam = checked.paramCount + 1;
  const main = rebuild(checked.sql, protection, firstKeyParam);
  const sample = checked.sampleSql === undefined ? undefined : checked.sampleSql === checked.sql ? main : rebuild(checked.sampleSql, protection, firstKeyParam);
  const before = checked.before === undefined ? undefined : beforeRead(checked.before, protection);
  return { main, sample, before };
}

function settle(work: () => Rebuilt): Rebuilt | BastionError {
  try {
    return work();
  } catch (error) {
    if (error instanceof BastionError) return error;
    throw error;
  }
}

const DML_TYPES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function rebuild(sql: string, protection: WriteProtection, firstKeyParam: number): Rewritten {
  try {
    return rebuildDml(sql, protection, firstKeyParam);
  } catch (error) {
    if (error instanceof RewriteMismatch || error instanceof RangeError) throw cannotRewrite(error);
    throw error;
  }
}

function rebuildDml(sql: string, protection: WriteProtection, firstKeyParam: number): Rewritten {
  const tree = parseSql(sql);
  const statement = tree.stmts?.[0]?.stmt as Node | undefined;
  const [type, node] = tree.stmts?.length === 1 ? (unwrap(statement) ?? []) : [];
  if (statement === undefined || type === undefined || node === undefined || !DML_TYPES.has(type)) throw cannotRewrite();
  const relation = node['relation'] as Node | undefined;
  if (relation === undefined) throw cannotRewrite();
  const edits: TextEdit[] = [];
  let usesHashKey = false;

  const columns = protection.target.columns;
  if (columns !== undefined && columns.some((c) => c.treatment !== 'keep')) {
    if (type === 'MergeStmt') {
      throw new BastionError('DENIED_BY_POLICY', `MERGE into ${protection.target.schema}.${protection.target.name} is not allowed for your role: it has columns you may not see in full. Use INSERT, UPDATE or DELETE.`);
    }
    checkTargetUse(type, node, columns, protection.target);
    const returning = node['returningClause'] as Node | undefined;
    if (returning !== undefined) {
      const others = listOf(node['fromClause']).length > 0 || listOf(node['usingClause']).length > 0;
      usesHashKey = protectReturning(returning, relation, columns, others, firstKeyParam, protection.target);
      edits.push({ kind: 'unsplicable' });
    }
  }

  // Everything but the target, in the statement's own WITH scope (a SELECT's, as far as the rewriter is concerned).
  const rewriter = new RelationRewriter(protection, firstKeyParam);
  const rest = Object.fromEntries(Object.entries(node).filter(([key]) => key !== 'relation'));
  rewriter.walk({ SelectStmt: rest });
  edits.push(...rewriter.edits);

  // The target itself stays, qualified with the schema it resolves to.
  if (relation['schemaname'] === undefined) {
    const at = relation['location'];
    edits.push(typeof at === 'number' && at >= 0 ? { kind: 'qualify', at, schema: protection.target.schema } : { kind: 'unsplicable' });
    relation['schemaname'] = protection.target.schema;
  }
  return { sql: render(sql, tree.version, statement, edits), usesHashKey: usesHashKey || rewriter.usesHashKey };
}

/**
 * RETURNING of a target with protected columns, rebuilt on the tree: `*` and `t.*` become the
 * target's columns without the denied ones and with masked ones computed by their mask; a
 * column named on its own is its mask when masked, and refused when denied; any other
 * expression may not touch a protected column (write-target.ts). Returns whether a hash
 * mask is used.
 */
function protectReturning(clause: Node, relation: Node, columns: readonly ProtectedColumn[], others: boolean, firstKeyParam: number, target: { readonly schema: string; readonly name: string }): boolean {
  const label = `${target.schema}.${target.name}`;
  const names = targetNames(relation);
  const refname = names[0] ?? '';
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  let usesHashKey = false;
  const column = (c: ProtectedColumn, as: string | undefined): Node => {
    if (c.treatment === 'keep') return { ResTarget: { ...(as === undefined ? {} : { name: as }), val: columnRef(refname, c.name) } };
    if (c.treatment === 'deny') throw deniedColumn(c.name);
    if (c.treatment === 'hash') usesHashKey = true;
    return { ResTarget: { name: as ?? c.name, val: qualify(maskExpression(c.treatment, c.name, firstKeyParam, maskDomain(target.schema, target.name, c.name)), refname, c.name) } };
  };
  const rebuilt: Node[] = [];
  for (const item of listOf(clause['exprs'])) {
    const target = (item as { ResTarget?: Node }).ResTarget;
    const ref = (target?.['val'] as { ColumnRef?: Node } | undefined)?.ColumnRef;
    const parts = ref === undefined ? [] : fieldNames(ref);
    const qualifier = parts.length === 2 ? parts[0] : undefined;
    const last = parts[parts.length - 1];
    const ofTarget = parts.length === 1 || (qualifier !== undefined && names.includes(qualifier));
    if (target !== undefined && last === '*' && ofTarget) {
      if (parts.length === 1 && others) {
        throw new BastionError('DENIED_BY_POLICY', `RETURNING * here would mix the other tables' columns with the target's, which has columns you may not see in full; write ${refname}.* and name the others' columns.`);
      }
      for (const c of columns) if (c.treatment !== 'deny') rebuilt.push(column(c, undefined));
      continue;
    }
    const known = last === undefined ? undefined : byName.get(last.toLowerCase());
    if (target !== undefined && ofTarget && known !== undefined && parts.length <= 2) {
      rebuilt.push(column(known, typeof target['name'] === 'string' ? target['name'] : undefined));
      continue;
    }
    checkTargetRefs(item, names, columns, label);
    rebuilt.push(item as Node);
  }
  clause['exprs'] = rebuilt;
  return usesHashKey;
}

/** The read of an UPDATE's rows before it runs, rebuilt like a read: the target too is replaced, since this only reads it. */
function beforeRead(before: BeforeRead, protection: WriteProtection): { read: BeforeRead; usesHashKey: boolean } {
  const { target } = protection;
  const resolved = new Map(protection.resolved);
  resolved.set(target.name, resolved.get(target.name) ?? target.schema);
  const relations = protection.relations.filter((r) => r.schema !== target.schema || r.name !== target.name);
  if (target.columns !== undefined && target.columns.some((c) => c.treatment !== 'keep')) {
    relations.push({ schema: target.schema, name: target.name, columns: target.columns });
  }
  const read: ReadProtection = { resolved, relations };
  let rebuilt: Rewritten;
  try {
    rebuilt = rewrite(before.sql, read, before.paramIndexes.length + 1);
  } catch (error) {
    if (error instanceof RangeError) throw cannotRewrite(error);
    throw error;
  }
  return { read: { sql: rebuilt.sql, paramIndexes: before.paramIndexes }, usesHashKey: rebuilt.usesHashKey };
}

function columnRef(qualifier: string, name: string): Node {
  return { ColumnRef: { fields: [{ String: { sval: qualifier } }, { String: { sval: name } }] } };
}

/** A mask expression over `column` of the target, qualified by its name in the statement (another table may have the same column). */
function qualify(node: unknown, qualifier: string, column: string): Node {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const ref = (value as Node)['ColumnRef'] as { fields?: { String?: { sval?: string } }[] } | undefined;
    if (ref?.fields?.length === 1 && ref.fields[0]?.String?.sval === column) return columnRef(qualifier, column);
    return Object.fromEntries(Object.entries(value as Node).map(([key, child]) => [key, walk(child)]));
  };
  return walk(node) as Node;
}

function deniedColumn(name: string): BastionError {
  return new BastionError('DENIED_BY_POLICY', `The column ${name} is not available to you: it is denied for your role, so a write may not return it.`);
}
