import { WRITE_EXPRESSION_NODE_TYPES, describeStatement } from './nodes.js';
import { ReadWalker } from './read-walker.js';
import { changedRelation, featureDenied, listOf, onlyFields, unwrap, writeDenied, type Node } from './write-nodes.js';
import type { RelationRef, StatementReads } from '../../../engine/policy.js';

const COLUMN_DEF_FIELDS = new Set(['colname', 'typeName', 'constraints', 'collClause', 'raw_default', 'is_local', 'is_not_null', 'is_from_type', 'location']);
const CONSTRAINT_FIELDS = new Set([
  'contype', 'conname', 'deferrable', 'initdeferred', 'is_enforced', 'skip_validation', 'initially_valid', 'is_no_inherit',
  'raw_expr', 'generated_when', 'generated_kind', 'nulls_not_distinct', 'keys', 'including', 'without_overlaps', 'pktable',
  'fk_attrs', 'pk_attrs', 'fk_with_period', 'pk_with_period', 'fk_matchtype', 'fk_upd_action', 'fk_del_action',
  'fk_del_set_cols', 'location',
]);
/** EXCLUDE constraints (operator classes, index methods) are left out on purpose. */
const CONSTRAINT_TYPES = new Set([
  'CONSTR_NULL', 'CONSTR_NOTNULL', 'CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED', 'CONSTR_CHECK',
  'CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_FOREIGN', 'CONSTR_ATTR_DEFERRABLE', 'CONSTR_ATTR_NOT_DEFERRABLE',
  'CONSTR_ATTR_DEFERRED', 'CONSTR_ATTR_IMMEDIATE', 'CONSTR_ATTR_ENFORCED', 'CONSTR_ATTR_NOT_ENFORCED',
]);
const INDEX_ELEM_FIELDS = new Set(['name', 'expr', 'indexcolname', 'collation', 'opclass', 'ordering', 'nulls_ordering']);
const RETURNING_FIELDS = new Set(['exprs']);
const ON_CONFLICT_FIELDS = new Set(['action', 'infer', 'targetList', 'whereClause', 'location']);
const INFER_FIELDS = new Set(['indexElems', 'whereClause', 'conname', 'location']);
const MERGE_WHEN_FIELDS = new Set(['matchKind', 'commandType', 'override', 'condition', 'targetList', 'values']);

/**
 * The node-level rules of both write tools. Every expression, query and relation a
 * write or schema change reads goes through a ReadWalker, so it meets exactly the
 * read policy — node allow-list, function allow-list, CTE scoping — and is
 * recorded for the authorize stage. What the statement changes is checked here:
 * column definitions, constraints, index elements and the clauses of INSERT,
 * UPDATE, DELETE and MERGE.
 */
export class WriteWalker {
  private readonly reader: ReadWalker;
  /** Tables named by FOREIGN KEY ... REFERENCES. */
  readonly references: RelationRef[] = [];

  constructor(extraFunctions: ReadonlySet<string>, readonly prefix: string) {
    this.reader = new ReadWalker(extraFunctions, WRITE_EXPRESSION_NODE_TYPES);
  }

  reads(): StatementReads {
    return this.reader.reads();
  }

  /** How many column references the walk has met so far. */
  get columnMentions(): number {
    return this.reader.columnRefs.length;
  }

  /** An expression, a list of them or a clause made of them, checked like a read. */
  expression(value: unknown): void {
    if (value !== undefined) this.reader.visitValue(value);
  }

  /** A query (`{ SelectStmt }`) whose rows the statement uses: a plain read, nothing else. */
  query(value: unknown, what: string): void {
    const [type, body] = unwrap(value) ?? ['nothing', {}];
    if (type !== 'SelectStmt') throw writeDenied(`${what} must be a SELECT; ${describeStatement(type)} is not allowed there.`);
    this.reader.visitNode(type, body);
  }

  /** A statement's own WITH clause: each CTE may only read, and the CTE names scope `rest`. */
  withClause(clause: unknown, rest: () => void): void {
    if (clause === undefined) rest();
    else this.reader.withCommonTables(clause, rest);
  }

  /** CREATE TABLE ... (LIKE t): a read of every column of t, names and types. */
  readWholeRelation(rangeVar: unknown): void {
    this.reader.visitNode('RangeVar', rangeVar);
    const name = (rangeVar as Node)['relname'];
    this.reader.columnRefs.push([typeof name === 'string' ? name : '?', '*']);
  }

  /**
   * The prefix rule, on the name as the parser folded it: `AI_X` is `ai_x`, while
   * the quoted `"AI_X"` keeps its capitals and does not carry the prefix `ai_`.
   */
  owned(name: unknown, what: string): string {
    if (typeof name !== 'string' || !name.startsWith(this.prefix)) {
      const shown = typeof name === 'string' ? `"${name}"` : '(no name)';
      throw writeDenied(
        `${what}: ${shown} does not start with ${this.prefix}; change_schema only creates, changes and drops objects named ${this.prefix}... (names compare as the database stores them: unquoted names fold to lower case, quoted ones stay as written).`,
      );
    }
    return name;
  }

  /** A column definition: its type's modifiers, collation, constraints and ALTER TYPE's USING expression. */
  columnDef(node: Node, what: string): void {
    onlyFields(node, COLUMN_DEF_FIELDS, what);
    if (node['typeName'] !== undefined) this.reader.visitNode('TypeName', node['typeName']);
    if (node['collClause'] !== undefined) this.reader.visitNode('CollateClause', node['collClause']);
    this.expression(node['raw_default']);
    for (const item of listOf(node['constraints'])) this.constraint(item, what);
  }

  /** `{ Constraint }`: DEFAULT, CHECK and GENERATED expressions on the function allow-list; a foreign key only to an owned table. */
  constraint(value: unknown, what: string): void {
    const [type, node] = unwrap(value) ?? ['nothing', {}];
    if (type !== 'Constraint') throw featureDenied(`${what}: ${type} is not allowed here.`);
    const kind = typeof node['contype'] === 'string' ? node['contype'] : '?';
    if (!CONSTRAINT_TYPES.has(kind)) throw featureDenied(`${kind.replace('CONSTR_', '')} constraints are not allowed.`);
    if (node['options'] !== undefined) throw featureDenied('Storage parameters and sequence options on a constraint are not allowed.');
    if (node['indexname'] !== undefined || node['indexspace'] !== undefined) {
      throw featureDenied('A constraint may not name an existing index or a tablespace.');
    }
    onlyFields(node, CONSTRAINT_FIELDS, `${what}, constraint`);
    this.expression(node['raw_expr']);
    if (node['pktable'] !== undefined) {
      const referenced = changedRelation(node['pktable'], 'The referenced table');
      this.owned(referenced.name, 'A foreign key may only reference a table named with the prefix; the referenced table');
      this.references.push({ schema: referenced.schema, name: referenced.name });
    }
  }

  /** `{ IndexElem }` of an index or ON CONFLICT target: its expression on the function allow-list. */
  indexElem(value: unknown, what: string): void {
    const [type, node] = unwrap(value) ?? ['nothing', {}];
    if (type !== 'IndexElem') throw featureDenied(`${what}: ${type} is not allowed here.`);
    onlyFields(node, INDEX_ELEM_FIELDS, what);
    this.expression(node['expr']);
  }

  /** RETURNING: expressions like a select list; the PostgreSQL 18 `WITH (OLD AS o)` form is not needed and refused. */
  returning(clause: unknown): boolean {
    if (clause === undefined) return false;
    onlyFields(clause as Node, RETURNING_FIELDS, 'RETURNING');
    this.expression((clause as Node)['exprs']);
    return true;
  }

  /** ON CONFLICT: the arbiter's index elements and predicate, and DO UPDATE's SET and WHERE. */
  onConflict(clause: unknown): void {
    if (clause === undefined) return;
    const node = clause as Node;
    onlyFields(node, ON_CONFLICT_FIELDS, 'ON CONFLICT');
    const infer = node['infer'] as Node | undefined;
    if (infer !== undefined) {
      onlyFields(infer, INFER_FIELDS, 'ON CONFLICT');
      for (const elem of listOf(infer['indexElems'])) this.indexElem(elem, 'ON CONFLICT');
      this.expression(infer['whereClause']);
    }
    this.expression(node['targetList']);
    this.expression(node['whereClause']);
  }

  /**
   * MERGE's WHEN clauses: conditions, SET lists and VALUES. Returns whether a
   * WHEN NOT MATCHED BY SOURCE clause updates or deletes without a condition that
   * names a column: it acts on every target row the source does not match, so an
   * empty source reaches the whole table.
   */
  mergeWhen(clauses: unknown): boolean {
    let unbounded = false;
    for (const item of listOf(clauses)) {
      const [type, node] = unwrap(item) ?? ['nothing', {}];
      if (type !== 'MergeWhenClause') throw featureDenied(`MERGE: ${type} is not allowed here.`);
      onlyFields(node, MERGE_WHEN_FIELDS, 'MERGE ... WHEN');
      const before = this.columnMentions;
      this.expression(node['condition']);
      const bySource = node['matchKind'] === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE' && node['commandType'] !== 'CMD_NOTHING';
      if (bySource && this.columnMentions === before) unbounded = true;
      this.expression(node['targetList']);
      this.expression(node['values']);
    }
    return unbounded;
  }
}
