import { Buffer } from 'node:buffer';
import { BastionError } from '../../../errors/codes.js';
import { describeStatement } from './nodes.js';
import { parseSql } from './parse.js';
import { beforeReadOf, setColumnsOf } from './write-before.js';
import { checkSchemaChange, isSchemaChange } from './ddl-rules.js';
import { WriteWalker } from './write-walker.js';
import { changedRelation, listOf, onlyFields, unwrap, writeDenied, type Node } from './write-nodes.js';
import type { CheckedDml, CheckedWrite, DmlCommand, WritePolicyOptions, WriteTool } from '../../../engine/policy.js';

/** The one statement of a call, as libpg-query returns it. */
export interface RawStatement {
  readonly stmt?: unknown;
  readonly stmt_location?: number;
  readonly stmt_len?: number;
}

/**
 * The write policy: the statement (already known to be exactly one) must be what
 * `tool` allows, with every part it reads checked like a read. Deny by default:
 * a statement type, clause or option not handled here is refused.
 */
export function inspectWrite(
  sql: string,
  raw: RawStatement,
  tool: WriteTool,
  options: WritePolicyOptions,
  extraFunctions: ReadonlySet<string>,
): CheckedWrite {
  const [nodeType, node] = unwrap(raw.stmt) ?? ['nothing', {}];
  const walker = new WriteWalker(extraFunctions, options.prefix);
  if (tool === 'execute') return checkDml(sql, raw, nodeType, node, walker, options);
  const shape = checkSchemaChange(nodeType, node, walker);
  const reads = walker.reads();
  if (reads.paramCount > 0) throw new BastionError('SQL_FEATURE_DENIED', 'change_schema takes no parameters; write the values into the statement.');
  return { sql, tool, ...shape, reads, references: walker.references, paramCount: 0, sampleSql: undefined, sampleNeedsPg17: false };
}

const DML_COMMANDS: Readonly<Record<string, DmlCommand>> = {
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
};

const DML_FIELDS: Readonly<Record<DmlCommand, ReadonlySet<string>>> = {
  insert: new Set(['relation', 'cols', 'selectStmt', 'onConflictClause', 'returningClause', 'withClause', 'override']),
  update: new Set(['relation', 'targetList', 'whereClause', 'fromClause', 'returningClause', 'withClause']),
  delete: new Set(['relation', 'usingClause', 'whereClause', 'returningClause', 'withClause']),
  merge: new Set(['relation', 'sourceRelation', 'joinCondition', 'mergeWhenClauses', 'returningClause', 'withClause']),
};

function checkDml(sql: string, raw: RawStatement, nodeType: string, node: Node, walker: WriteWalker, options: WritePolicyOptions): CheckedDml {
  const command = DML_COMMANDS[nodeType];
  if (command === undefined) {
    const hint = isSchemaChange(nodeType) ? ' (schema changes go through change_schema)' : nodeType === 'SelectStmt' ? ' (reads go through query)' : '';
    throw writeDenied(`execute takes one INSERT, UPDATE, DELETE or MERGE; ${describeStatement(nodeType)} is not allowed${hint}.`);
  }
  const what = command.toUpperCase();
  onlyFields(node, DML_FIELDS[command], what);
  const target = changedRelation(node['relation'], `${what} on`);
  let hasReturning = false;
  let filtersOnColumns = false;
  let unmatchedReachAll = false;
  walker.withClause(node['withClause'], () => {
    walker.expression(node['cols']);
    if (node['selectStmt'] !== undefined) walker.query(node['selectStmt'], 'The rows of an INSERT');
    walker.onConflict(node['onConflictClause']);
    walker.expression(node['targetList']);
    walker.expression(node['fromClause']);
    walker.expression(node['usingClause']);
    walker.expression(node['sourceRelation']);
    unmatchedReachAll = walker.mergeWhen(node['mergeWhenClauses']);
    const before = walker.columnMentions;
    walker.expression(node['whereClause'] ?? node['joinCondition']);
    filtersOnColumns = walker.columnMentions > before;
    hasReturning = walker.returning(node['returningClause']);
  });
  // WHERE true or WHERE 1 = 1 names no column and bounds nothing: it counts as no WHERE.
  // The affected-rows cap still applies to whatever passes.
  if (!options.allowUnbounded && command !== 'insert') {
    if (!filtersOnColumns) {
      const clause = command === 'merge' ? 'an ON condition that names a column' : 'a WHERE clause that names a column';
      throw writeDenied(`${what} without ${clause} would change every row; add one (the source's writes.allow_unbounded lifts this).`);
    }
    if (unmatchedReachAll) {
      throw writeDenied('MERGE ... WHEN NOT MATCHED BY SOURCE without an AND condition naming a column could change every row; add one (writes.allow_unbounded lifts this).');
    }
  }
  const reads = walker.reads();
  const others = command === 'merge' || listOf(node['fromClause']).length > 0 || listOf(node['usingClause']).length > 0;
  return {
    sql,
    tool: 'execute',
    command,
    target,
    reads,
    paramCount: reads.paramCount,
    hasReturning,
    sampleSql: hasReturning ? sql : sampleOf(sql, raw, nodeType, node, others ? (target.alias ?? target.name) : undefined),
    sampleNeedsPg17: command === 'merge',
    ...(command === 'update' ? { before: beforeReadOf(sql, statementEnd(sql, raw), node), setColumns: setColumnsOf(node) } : {}),
  };
}

/** Where the statement ends, in bytes: stmt_len leaves out a trailing semicolon and what follows it. */
function statementEnd(sql: string, raw: RawStatement): number {
  return raw.stmt_len !== undefined && raw.stmt_len > 0 ? (raw.stmt_location ?? 0) + raw.stmt_len : Buffer.byteLength(sql, 'utf8');
}

/**
 * The statement with RETURNING appended, proven by the parser to be the same
 * statement plus exactly that clause; anything else is refused rather than run.
 */
function sampleOf(sql: string, raw: RawStatement, nodeType: string, node: Node, qualifier: string | undefined): string {
  // Locations are byte offsets.
  const bytes = Buffer.from(sql, 'utf8');
  const end = statementEnd(sql, raw);
  const returning = qualifier === undefined ? '*' : `"${qualifier.replaceAll('"', '""')}".*`;
  const sample = `${bytes.subarray(0, end).toString('utf8')}\nRETURNING ${returning}`;
  const star = { A_Star: {} };
  const fields = qualifier === undefined ? [star] : [{ String: { sval: qualifier } }, star];
  const expected = { exprs: [{ ResTarget: { val: { ColumnRef: { fields } } } }] };
  let reparsed: Node | undefined;
  try {
    const statements = parseSql(sample).stmts ?? [];
    const [type, body] = statements.length === 1 ? (unwrap(statements[0]?.stmt) ?? []) : [];
    reparsed = type === nodeType ? body : undefined;
  } catch {
    reparsed = undefined;
  }
  const { returningClause, ...rest } = reparsed ?? {};
  if (reparsed === undefined || canonical(rest) !== canonical(node) || canonical(returningClause) !== canonical(expected)) {
    throw new BastionError('SQL_FEATURE_DENIED', 'A preview of this statement could not be built safely; rewrite it, or add a RETURNING clause yourself.');
  }
  return sample;
}

/** A tree as JSON without source positions, which differ between two texts of the same statement. */
function canonical(tree: unknown): string {
  return JSON.stringify(tree, (key, value: unknown) => (key === 'location' ? undefined : value)) ?? '';
}
