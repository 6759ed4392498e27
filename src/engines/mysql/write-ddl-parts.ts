import type { RelationRef } from '../../engine/policy.js';
import { MysqlReadWalker } from './walker.js';
import { featureDenied, listOf, lowerOf, onlyKeys, owned, relationOf, stringOf, without, type Expectation, type Node } from './write-rules.js';

const COLUMN_KEYS = new Set([
  'column', 'definition', 'resource', 'nullable', 'default_val', 'primary_key', 'auto_increment', 'unique', 'comment',
  'collate', 'character_set', 'generated', 'check', 'reference_definition',
  // ALTER TABLE ... ADD/MODIFY/CHANGE COLUMN: the action and AFTER col / FIRST.
  'action', 'keyword', 'suffix', 'type', 'old_column',
]);
const DATATYPE_KEYS = new Set(['dataType', 'length', 'scale', 'parentheses', 'suffix', 'expr']);
const DATATYPE_SUFFIXES = new Set(['UNSIGNED', 'SIGNED', 'ZEROFILL']);
const INDEX_KEYS = new Set(['index', 'definition', 'keyword', 'index_type', 'resource', 'index_options', 'action', 'type']);
const CONSTRAINT_KEYS = new Set(['constraint', 'definition', 'constraint_type', 'keyword', 'index_type', 'index', 'resource', 'index_options', 'reference_definition', 'enforced']);
const REFERENCE_KEYS = new Set(['definition', 'table', 'keyword', 'match', 'on_action']);
/** What a foreign key may do on the owned parent's DELETE or UPDATE. */
const REFERENCE_ACTIONS = new Set(['cascade', 'set null', 'restrict', 'no action', 'set default']);
/** `ON UPDATE <this>` on a TIMESTAMP or DATETIME column. */
const ON_UPDATE_NOW = new Set(['CURRENT_TIMESTAMP', 'NOW', 'LOCALTIME', 'LOCALTIMESTAMP']);
const CONSTRAINT_TYPES = new Set(['primary key', 'unique', 'unique key', 'unique index', 'check', 'foreign key']);
const INDEX_KINDS = new Set(['index', 'key', 'fulltext', 'fulltext key', 'fulltext index', 'spatial', 'spatial key', 'spatial index']);
const INDEX_METHODS = new Set(['btree', 'hash']);

/** A column's name as the parser gives it: a string, or `{ expr: { value } }` for some quoted forms. */
export function columnName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const node = value as Node;
    if (node['type'] === 'column_ref') return columnName(node['column']);
    return columnName(node['expr'] ?? node['value']);
  }
  return undefined;
}

/**
 * The parts of a MySQL schema change (column definitions, keys, constraints,
 * foreign keys) walked with deny-by-default field lists. Expressions go to the
 * read walker (function allow-list, no system databases, no variables); names go
 * to `names` for the lexical check of `name(`; foreign keys may only point at
 * tables named with the prefix.
 */
export class DdlParts {
  readonly walker = new MysqlReadWalker();
  readonly references: RelationRef[] = [];
  readonly expectations: Expectation[] = [];
  /** Upper-cased names and types the statement writes before a `(`. */
  readonly names = new Set<string>();

  constructor(readonly prefix: string) {}

  note(name: string | undefined): void {
    if (name !== undefined) this.names.add(name.toUpperCase());
  }

  /** A column definition (CREATE TABLE, ALTER TABLE ADD/MODIFY/CHANGE). */
  column(node: Node, what: string): string {
    onlyKeys(node, COLUMN_KEYS, what);
    const name = columnName(node['column']);
    if (name === undefined) throw featureDenied(`${what}: a column name could not be checked.`);
    this.note(name);
    this.dataType(node['definition'], what);
    this.defaultValue(node['default_val'], what);
    const generated = node['generated'] as Node | null | undefined;
    if (generated) {
      onlyKeys(generated, new Set(['type', 'expr', 'value', 'storage_type']), what);
      this.walker.visitExpression(generated['expr']);
    }
    const check = node['check'] as Node | null | undefined;
    if (check) this.constraint(check, what);
    const reference = node['reference_definition'] as Node | null | undefined;
    // `ON UPDATE CURRENT_TIMESTAMP` alone comes as a reference without a table.
    if (reference && reference['table'] === undefined) this.onUpdateNow(reference, what);
    else if (reference) this.reference(reference, what);
    const suffix = node['suffix'] as Node | null | undefined;
    if (suffix && typeof suffix === 'object' && !Array.isArray(suffix)) {
      onlyKeys(suffix, new Set(['keyword', 'expr']), what);
      this.note(columnName(suffix['expr']));
    }
    return name;
  }

  /** An inline or ALTER ... ADD key: `KEY k (a, b(10) DESC)`, FULLTEXT, SPATIAL. */
  index(node: Node, what: string): string | undefined {
    onlyKeys(node, INDEX_KEYS, what);
    const kind = lowerOf(node['keyword']);
    if (!INDEX_KINDS.has(kind)) throw featureDenied(`${what}: ${kind.toUpperCase()} is not allowed here.`);
    this.indexOptions(node['index_options'], what);
    const name = stringOf(node['index']);
    this.note(name);
    this.keyParts(node['definition'], what);
    return name;
  }

  /** PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY, inline or in ALTER ... ADD. */
  constraint(node: Node, what: string): void {
    onlyKeys(node, CONSTRAINT_KEYS, what);
    const type = lowerOf(node['constraint_type']);
    if (!CONSTRAINT_TYPES.has(type)) throw featureDenied(`${what}: ${type.toUpperCase()} constraints are not allowed.`);
    this.note(stringOf(node['constraint']));
    this.note(stringOf(node['index']));
    this.indexOptions(node['index_options'], what);
    if (type === 'check') {
      this.walker.visitExpression(node['definition']);
      return;
    }
    this.keyParts(node['definition'], what);
    const reference = node['reference_definition'] as Node | null | undefined;
    if (type === 'foreign key') {
      if (!reference) throw featureDenied(`${what}: a FOREIGN KEY without REFERENCES could not be checked.`);
      this.reference(reference, what);
    } else if (reference) throw featureDenied(`${what}: REFERENCES is only allowed in a FOREIGN KEY.`);
  }

  /** Key parts: columns, `col(10)` prefixes, `(expr)` functional parts, ASC/DESC. Returns the plain column names. */
  keyParts(value: unknown, what: string): string[] {
    const columns: string[] = [];
    const parts = listOf(value);
    if (parts.length === 0) throw featureDenied(`${what}: a key needs columns.`);
    for (const part of parts) {
      const order = part['order_by'];
      if (order !== null && order !== undefined && order !== 'asc' && order !== 'desc' && order !== 'ASC' && order !== 'DESC') {
        throw featureDenied(`${what}: a key part could not be checked.`);
      }
      const prefixLength = this.prefixColumn(part);
      if (prefixLength !== undefined) {
        columns.push(prefixLength);
      } else if (part['type'] === 'column_ref' && (part['suffix'] === undefined || part['suffix'] === null || /^\(\d+\)$/.test(stringOf(part['suffix']) ?? ''))) {
        const name = columnName(part);
        if (name === undefined) throw featureDenied(`${what}: a key column could not be checked.`);
        this.note(name);
        columns.push(name);
      } else if (part['parentheses'] === true) {
        // A functional key part, `((expr))`: an expression like any other.
        this.walker.visitExpression(without(part, 'order_by'));
      } else throw featureDenied(`${what}: a key part could not be checked.`);
    }
    return columns;
  }

  /** The table of a foreign key: named with the prefix, never in a system database. */
  reference(node: Node, what: string): void {
    onlyKeys(node, REFERENCE_KEYS, what);
    const tables = listOf(node['table']);
    if (tables.length !== 1) throw featureDenied(`${what}: REFERENCES names one table.`);
    const table = relationOf(tables[0], 'The referenced table');
    owned(table.name, this.prefix, 'A foreign key may only reference a table named with the prefix; the referenced table');
    this.note(table.name);
    this.references.push({ schema: table.schema, name: table.name });
    for (const column of listOf(node['definition'])) this.note(columnName(column));
    if (node['match'] !== null && node['match'] !== undefined) throw featureDenied(`${what}: MATCH is not allowed.`);
    for (const action of listOf(node['on_action'])) {
      const kind = lowerOf(action['type']);
      const value = lowerOf((action['value'] as Node | undefined)?.['value']);
      if ((kind !== 'on delete' && kind !== 'on update') || !REFERENCE_ACTIONS.has(value)) throw featureDenied(`${what}: this foreign key action is not allowed.`);
    }
  }

  private dataType(value: unknown, what: string): void {
    if (value === null || value === undefined) return;
    const node = value as Node;
    onlyKeys(node, DATATYPE_KEYS, what);
    const type = stringOf(node['dataType']);
    if (type === undefined) throw featureDenied(`${what}: a column type could not be checked.`);
    this.note(type);
    for (const suffix of Array.isArray(node['suffix']) ? (node['suffix'] as unknown[]) : []) {
      if (typeof suffix !== 'string' || !DATATYPE_SUFFIXES.has(suffix.toUpperCase())) throw featureDenied(`${what}: the type option ${String(suffix)} is not allowed.`);
    }
    // ENUM('a', 'b') and SET(...): literals only, checked as expressions.
    this.walker.visitExpression(node['expr']);
  }

  private defaultValue(value: unknown, what: string): void {
    if (value === null || value === undefined) return;
    const node = value as Node;
    onlyKeys(node, new Set(['type', 'value']), what);
    const expression = node['value'] as Node | undefined;
    const over = expression?.['over'] as Node | null | undefined;
    if (expression !== undefined && expression['type'] === 'function' && over) {
      // DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP: the parser hangs ON UPDATE on the function.
      if (over['type'] !== 'on update' || !ON_UPDATE_NOW.has(lowerOf(over['keyword']).toUpperCase())) throw featureDenied(`${what}: this ON UPDATE is not allowed.`);
      this.walker.visitExpression(without(expression, 'over'));
      return;
    }
    this.walker.visitExpression(expression);
  }

  private onUpdateNow(node: Node, what: string): void {
    onlyKeys(node, new Set(['on_action']), what);
    for (const action of listOf(node['on_action'])) {
      const value = lowerOf((action['value'] as Node | undefined)?.['value']).toUpperCase();
      if (action['type'] !== 'on update' || !ON_UPDATE_NOW.has(value)) throw featureDenied(`${what}: this ON UPDATE is not allowed.`);
    }
  }

  /** `col(10)`: the parser reads a prefix length as a call; in a key part MySQL never calls a function without double parentheses. */
  private prefixColumn(part: Node): string | undefined {
    if (part['type'] !== 'function' || part['parentheses'] === true) return undefined;
    const names = ((part['name'] as Node | undefined)?.['name'] ?? []) as Node[];
    const args = ((part['args'] as Node | undefined)?.['value'] ?? []) as Node[];
    const [name] = names;
    const [length] = args;
    if (names.length !== 1 || args.length !== 1 || typeof name?.['value'] !== 'string' || length?.['type'] !== 'number') return undefined;
    this.note(name['value']);
    return name['value'];
  }

  private indexOptions(value: unknown, what: string): void {
    for (const option of listOf(value)) {
      const type = lowerOf(option['type']);
      if (option['keyword'] !== 'using' || !INDEX_METHODS.has(type)) throw featureDenied(`${what}: this index option is not allowed.`);
    }
  }
}
