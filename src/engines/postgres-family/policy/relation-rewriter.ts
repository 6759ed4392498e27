import type { ProtectedRelation, ReadProtection } from '../../../engine/protection.js';
import { BastionError } from '../../../errors/codes.js';
import { LOOKUPS_UNDER_RULES, REGISTRY_TYPES } from './function-allowlist.js';
import { maskExpression } from './mask-sql.js';
import { maskDomain } from '../../../engine/mask-hash.js';
import { parseSql } from './parse.js';

type Node = Record<string, unknown>;

/**
 * One change to the statement's text, by the byte offset PostgreSQL's parser gives the
 * node it changes (see splice.ts). `unsplicable` marks a change only the deparser can make.
 */
export type TextEdit =
  | { readonly kind: 'qualify'; readonly at: number; readonly schema: string }
  | { readonly kind: 'replace'; readonly at: number; readonly only: boolean; readonly subquery: Node; readonly alias: string | undefined }
  | { readonly kind: 'drop-schema'; readonly at: number }
  | { readonly kind: 'unsplicable' };

/**
 * Walks a statement's parse tree and, on the tree itself, replaces every RangeVar that names
 * a protected relation — wherever it is: FROM, JOIN, subqueries, CTE bodies, LATERAL,
 * EXISTS, set operations — by `(SELECT <kept columns>, <mask> AS <masked column> FROM
 * schema.table) AS <its alias or name>(<its column aliases>)`, and qualifies every other
 * relation with the schema its name resolves to. A reference to a CTE is left as it is,
 * with PostgreSQL's scoping (as ReadWalker has it). Each change is also recorded as a
 * TextEdit, so the statement's own text can be changed in place.
 */
export class RelationRewriter {
  usesHashKey = false;
  readonly edits: TextEdit[] = [];
  private readonly protectedRelations = new Map<string, ProtectedRelation>();
  /** CTE names visible at the current point, innermost last. */
  private readonly cteScopes: ReadonlySet<string>[] = [];

  private readonly inlined = new Map<string, string>();
  /** Inside a view's definition (ReadProtection.views): its unqualified names are pg_catalog's. */
  private definitionDepth = 0;

  constructor(
    private readonly protection: ReadProtection,
    private readonly firstKeyParam: number,
  ) {
    for (const relation of protection.relations) this.protectedRelations.set(key(relation.schema, relation.name), relation);
    for (const view of protection.views ?? []) this.inlined.set(key(view.schema, view.name), view.definition);
  }

  /** Visits a part of the tree: a node wrapper (`{ Type: body }`), a list, or a node's fields. */
  walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as Node;
    // A snapshot of the entries: a replacement added to `node` is not walked again.
    for (const [name, child] of Object.entries(node)) {
      if (name === 'RangeVar') this.relation(node, child as Node);
      else if (name === 'RangeTableSample') this.sample(node, child as Node);
      else if (name === 'SelectStmt') this.select(child as Node);
      else if (name === 'ColumnRef') this.column(child as Node);
      else if (name === 'typeName' || name === 'TypeName') this.type(child as Node);
      else if (name === 'FuncCall') this.call(child as Node);
      else this.walk(child);
    }
  }

  /** A WITH clause scopes its statement: each CTE body sees the ones before it (all under RECURSIVE). */
  private select(select: Node): void {
    const clause = select['withClause'] as { ctes?: unknown[]; recursive?: boolean } | undefined;
    if (clause === undefined) {
      this.walk(select);
      return;
    }
    const ctes = (clause.ctes ?? []).map((c) => (c as { CommonTableExpr?: Node }).CommonTableExpr ?? {});
    const names = ctes.map((c) => (typeof c['ctename'] === 'string' ? c['ctename'] : ''));
    ctes.forEach((cte, i) => {
      this.cteScopes.push(new Set(clause.recursive === true ? names : names.slice(0, i)));
      try {
        this.walk(cte);
      } finally {
        this.cteScopes.pop();
      }
    });
    this.cteScopes.push(new Set(names));
    try {
      for (const [name, child] of Object.entries(select)) if (name !== 'withClause') this.walk(child);
    } finally {
      this.cteScopes.pop();
    }
  }

  /** A relation in FROM: a protected one becomes its subquery, any other is qualified. */
  private relation(wrapper: Node, range: Node): void {
    const target = this.resolve(range);
    if (target === undefined) return;
    const at = locationOf(range);
    const definition = this.inlined.get(key(target.schema, target.name));
    if (definition !== undefined) {
      this.inline(wrapper, range, target.name, definition, at);
      return;
    }
    const guarded = this.protectedRelations.get(key(target.schema, target.name));
    if (guarded === undefined) {
      if (range['schemaname'] === undefined) this.record(at === undefined ? UNSPLICABLE : { kind: 'qualify', at, schema: target.schema });
      range['schemaname'] = target.schema;
      return;
    }
    const replacement = this.subselect(range, guarded, { RangeVar: innerRange(range, guarded) });
    delete wrapper['RangeVar'];
    wrapper['RangeSubselect'] = replacement;
    const written = range['alias'] === undefined ? guarded.name : undefined;
    this.record(at === undefined ? UNSPLICABLE : { kind: 'replace', at, only: range['inh'] !== true, subquery: replacement['subquery'] as Node, alias: written });
  }

  /**
   * A change to the statement's text. Inside a view's definition there is no text of the
   * statement's to change: the definition goes in whole, as its rewritten tree.
   */
  private record(edit: TextEdit): void {
    if (this.definitionDepth === 0) this.edits.push(edit);
  }

  /**
   * A view read as its query (ReadProtection.views): `(<its definition, rewritten>) AS <its
   * alias or name>(<its column aliases>)`. The definition is walked like the statement, so the
   * protected tables and views it reads are replaced in turn; the statement's CTEs are not in
   * scope inside it.
   */
  private inline(wrapper: Node, range: Node, name: string, definition: string, at: number | undefined): void {
    const parsed = parseSql(definition).stmts ?? [];
    const query = parsed[0]?.stmt as Node | undefined;
    if (parsed.length !== 1 || query?.['SelectStmt'] === undefined) throw new RewriteMismatch(`the definition of ${name} is not one query`);
    const scopes = this.cteScopes.splice(0);
    this.definitionDepth += 1;
    try {
      this.walk(query);
    } finally {
      this.definitionDepth -= 1;
      this.cteScopes.push(...scopes);
    }
    const written = range['alias'] as Node | undefined;
    delete wrapper['RangeVar'];
    wrapper['RangeSubselect'] = { subquery: query, alias: { ...(written ?? {}), aliasname: written?.['aliasname'] ?? name } };
    this.record(at === undefined ? UNSPLICABLE : { kind: 'replace', at, only: range['inh'] !== true, subquery: query, alias: written === undefined ? name : undefined });
  }

  /** TABLESAMPLE applies to tables only: on a protected one, the sampling moves inside the subquery. */
  private sample(wrapper: Node, sample: Node): void {
    for (const [name, child] of Object.entries(sample)) if (name !== 'relation') this.walk(child);
    const range = (sample['relation'] as { RangeVar?: Node } | undefined)?.RangeVar;
    const target = range === undefined ? undefined : this.resolve(range);
    if (range === undefined || target === undefined) {
      this.walk(sample['relation']);
      return;
    }
    const guarded = this.protectedRelations.get(key(target.schema, target.name));
    if (guarded === undefined) {
      const at = locationOf(range);
      if (range['schemaname'] === undefined) this.record(at === undefined ? UNSPLICABLE : { kind: 'qualify', at, schema: target.schema });
      range['schemaname'] = target.schema;
      return;
    }
    const inner = { RangeTableSample: { ...sample, relation: { RangeVar: innerRange(range, guarded) } } };
    delete wrapper['RangeTableSample'];
    wrapper['RangeSubselect'] = this.subselect(range, guarded, inner);
    this.record(UNSPLICABLE);
  }

  /**
   * `schema.table.column` names a protected relation by its schema, which its replacement
   * does not have: it becomes `table.column`, the name the replacement carries.
   */
  private column(ref: Node): void {
    const fields = ref['fields'];
    if (!Array.isArray(fields) || fields.length < 3) return;
    const [schema, name] = fields.slice(0, 2).map((f) => (f as { String?: { sval?: string } }).String?.sval);
    if (schema === undefined || name === undefined || !this.protectedRelations.has(key(schema, name))) return;
    ref['fields'] = fields.slice(1);
    const at = locationOf(ref);
    this.record(at === undefined ? UNSPLICABLE : { kind: 'drop-schema', at });
  }

  /**
   * A type named with a schema other than pg_catalog: casting to it runs code of its own (a
   * domain's CHECK calls any function), which the pinned search path cannot keep out. With
   * the names pinned, a type written without a schema can only be a built-in one.
   */
  private type(typeName: Node): void {
    const names = typeName['names'];
    const last = Array.isArray(names) ? (names[names.length - 1] as { String?: { sval?: string } } | undefined)?.String?.sval : undefined;
    if (last !== undefined && REGISTRY_TYPES.has(last)) throw lookupRefused(last);
    if (Array.isArray(names) && names.length > 1) {
      const schema = (names[0] as { String?: { sval?: string } }).String?.sval;
      if (schema !== 'pg_catalog') {
        const written = names.map((n) => (n as { String?: { sval?: string } }).String?.sval ?? '?').join('.');
        throw new BastionError('SQL_FEATURE_DENIED', `The type ${written} is not a built-in type; under your role's rules a statement may name built-in types only.`);
      }
    }
    this.walk(typeName);
  }

  /** A catalog lookup that answers about any object (LOOKUPS_UNDER_RULES): not for a role with rules. */
  private call(call: Node): void {
    const names = call['funcname'];
    const last = Array.isArray(names) ? (names[names.length - 1] as { String?: { sval?: string } } | undefined)?.String?.sval : undefined;
    if (last !== undefined && LOOKUPS_UNDER_RULES.has(last)) throw lookupRefused(`${last}()`);
    this.walk(call);
  }

  /** The schema and name a RangeVar stands for; undefined for a CTE reference. */
  private resolve(range: Node): { schema: string; name: string } | undefined {
    const name = typeof range['relname'] === 'string' ? range['relname'] : '';
    const written = typeof range['schemaname'] === 'string' ? range['schemaname'] : undefined;
    if (written === undefined && this.cteScopes.some((scope) => scope.has(name))) return undefined;
    // In a view's definition every name outside pg_catalog is qualified (Catalog.viewDefinition).
    const schema = written ?? (this.definitionDepth > 0 ? 'pg_catalog' : this.protection.resolved.get(name));
    // The authorize stage resolved every relation the policy saw; anything else is a mismatch.
    if (schema === undefined) throw new RewriteMismatch(`no schema for ${name}`);
    return { schema, name };
  }

  private subselect(range: Node, relation: ProtectedRelation, from: Node): Node {
    const targetList: Node[] = [];
    for (const column of relation.columns) {
      if (column.treatment === 'deny') continue;
      if (column.treatment === 'keep') {
        targetList.push({ ResTarget: { val: { ColumnRef: { fields: [{ String: { sval: column.name } }] } } } });
        continue;
      }
      if (column.treatment === 'hash') this.usesHashKey = true;
      targetList.push({ ResTarget: { name: column.name, val: maskExpression(column.treatment, column.name, this.firstKeyParam, maskDomain(relation.schema, relation.name, column.name)) } });
    }
    const written = range['alias'] as Node | undefined;
    // Named as the reference was (its alias, else the table's name), column aliases kept.
    const alias: Node = { ...(written ?? {}), aliasname: written?.['aliasname'] ?? relation.name };
    const select: Node = { fromClause: [from], limitOption: 'LIMIT_OPTION_DEFAULT', op: 'SETOP_NONE' };
    // Every column denied: `SELECT FROM t` keeps the row count and nothing else.
    if (targetList.length > 0) select['targetList'] = targetList;
    return { subquery: { SelectStmt: select }, alias };
  }
}

function lookupRefused(what: string): BastionError {
  return new BastionError(
    'SQL_FUNCTION_DENIED',
    `${what} looks objects up in the catalog, which your role's table and column rules do not allow; list_tables and describe_table show what you may see.`,
  );
}

/** The tree does not say what the authorize stage decided about it: refuse rather than guess. */
export class RewriteMismatch extends Error {
  override readonly name = 'RewriteMismatch';
}

const UNSPLICABLE: TextEdit = { kind: 'unsplicable' };

function key(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}

function locationOf(node: Node): number | undefined {
  const at = node['location'];
  return typeof at === 'number' && at >= 0 ? at : undefined;
}

/** The table itself, inside the subquery: qualified, ONLY kept, no alias. */
function innerRange(range: Node, relation: ProtectedRelation): Node {
  const inner: Node = { schemaname: relation.schema, relname: relation.name };
  if (range['inh'] === true) inner['inh'] = true;
  inner['relpersistence'] = range['relpersistence'] ?? 'p';
  return inner;
}
