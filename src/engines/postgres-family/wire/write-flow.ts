import { BastionError } from '../../../errors/codes.js';
import type { WriteRequest, WriteResult } from '../../../engine/source.js';
import { RowCollector } from './collector.js';
import { encodeParam } from './decode.js';
import { BEGIN_READ_WRITE, COMMIT, NO_INDEX_SCANS, PIN_SEARCH_PATH, ROLLBACK } from './statements.js';
import { asError, type Pipeline, type PipelineResult, type PipelineStep, type RowSink } from './pipeline.js';
import { DefinitionReader } from './write-definition.js';
import { checkPlan, explainForGuard, topPlanEstimate } from './plan-guard.js';

export interface WriteContext {
  /** The transaction-local limits statement and its values (timeouts, role), exactly as reads use it. */
  readonly limits: { readonly text: string; readonly values: readonly (string | null)[] };
  /** The engine's server_version_num, e.g. 150004. */
  readonly serverVersion: number;
}

const DEFAULT_SAMPLE_ROWS = 20;
/** Rows read before an UPDATE to pair with its sample: enough to find the first few, within the byte cap. */
const BEFORE_ROWS = 1000;
const PG17 = 170_000;
/**
 * Rows inserted, updated or deleted in any table, as this session's transaction counters
 * say; read just before and just after the statement, the difference is the statement's
 * own rows plus those its foreign-key cascades and triggers changed, which its command
 * tag leaves out.
 */
const CHANGED_IN_TRANSACTION = 'SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text FROM pg_catalog.pg_stat_xact_all_tables';

/** Keeps the first field of the first row. */
class FirstValue implements RowSink {
  value: string | null = null;
  describe(): void {}
  add(fields: readonly (string | null)[]): unknown {
    if (this.value === null) this.value = fields[0] ?? null;
    return undefined;
  }
}

/**
 * One governed write: BEGIN READ WRITE, the limits, the statement (and, for DDL,
 * the catalog reads that describe its result) in one round trip; then ROLLBACK
 * for a dry run or a broken cap, COMMIT otherwise. Throws the engine's error as it
 * is (the adapter maps it); the transaction is rolled back before any throw.
 */
/** The limits, with the search path pinned (WriteRequest.pinnedNames) and then index scans off (WriteRequest.withoutIndexScans). */
function limitsText(request: WriteRequest, limits: string): string {
  if (request.pinnedNames !== true) return limits;
  return limits + PIN_SEARCH_PATH + (request.withoutIndexScans === true ? NO_INDEX_SCANS : '');
}

export async function runGovernedWrite(pipeline: Pipeline, request: WriteRequest, context: WriteContext): Promise<WriteResult> {
  // Every RETURNING row still streams past; only the first few are kept, so the
  // statement runs to completion and its row count is the real one.
  const sample = new RowCollector(request.sampleRows ?? DEFAULT_SAMPLE_ROWS, request.maxBytes);
  const definition = request.kind === 'ddl' && request.describe !== undefined ? new DefinitionReader(request.describe) : undefined;
  // A dry run of an UPDATE reads its target rows first, in the same transaction, for before → after.
  const readBefore = request.kind === 'dml' && request.dryRun && request.checked?.tool === 'execute' ? request.checked.before : undefined;
  const before = readBefore === undefined ? undefined : new RowCollector(BEFORE_ROWS, request.maxBytes);
  const changedSink = request.kind === 'dml' ? { before: new FirstValue(), after: new FirstValue() } : undefined;
  const opening: PipelineStep[] = [
    { text: BEGIN_READ_WRITE, values: [] },
    // A statement that names every relation with its schema resolves nothing else through the search path.
    { text: limitsText(request, context.limits.text), values: context.limits.values },
  ];
  const planned = request.kind === 'dml' && request.planBound?.maxCost !== undefined;
  // The plan-cost guard: the transaction opens with the plan of the statement, and only a plan within the bound goes on.
  if (planned) await checkWritePlan(pipeline, opening, statementFor(request, context.serverVersion), request.planBound ?? {});
  const steps: PipelineStep[] = [
    ...(planned ? [] : opening),
    ...(readBefore === undefined
      ? []
      : [{ text: readBefore.sql, values: [...readBefore.paramIndexes.map((i) => encodeParam(request.params[i] ?? null)), ...(readBefore.extraParams ?? [])], sink: before }]),
    // The counters also hold this session's earlier transactions until they are flushed to the
    // shared statistics: the statement's share is the difference across it.
    ...(changedSink === undefined ? [] : [{ text: CHANGED_IN_TRANSACTION, values: [], sink: changedSink.before }]),
    { ...statementFor(request, context.serverVersion), sink: sample },
    ...(changedSink === undefined ? [] : [{ text: CHANGED_IN_TRANSACTION, values: [], sink: changedSink.after }]),
    ...(definition?.steps ?? []),
  ];
  const run = await attempt(pipeline, steps);
  // [BEGIN, limits], [the read before], [the counters before], then the caller's statement.
  const outcome = run.completed[(planned ? 0 : 2) + (readBefore === undefined ? 0 : 1) + (changedSink === undefined ? 0 : 1)];
  if (run.error !== undefined || outcome === undefined || run.completed.length !== steps.length) {
    await attempt(pipeline, [{ text: ROLLBACK, values: [] }]);
    throw run.error ?? new Error('the engine answered fewer commands than it was sent');
  }
  const affected = request.kind === 'dml' ? outcome.rowCount : 0;
  // Statistics off (track_counts) read 0: never less than the statement's own count.
  const counted = (Number(changedSink?.after.value ?? 0) || 0) - (Number(changedSink?.before.value ?? 0) || 0);
  const changedInAll = Math.max(affected, counted);
  if (request.kind === 'dml' && changedInAll > request.maxAffectedRows) {
    await finish(pipeline, ROLLBACK);
    const also = changedInAll > affected ? ` (${changedInAll} rows in all, counting what its cascades and triggers change)` : '';
    throw new BastionError(
      'WRITE_LIMIT_EXCEEDED',
      `The statement affects ${affected} rows${also}, more than the limit of ${request.maxAffectedRows}; it was rolled back and nothing changed.`,
    );
  }
  await finish(pipeline, request.dryRun ? ROLLBACK : COMMIT);
  const rows = sample.result();
  const old = before?.result();
  return {
    affected,
    ...(request.kind === 'dml' ? { changedInAll } : {}),
    ...(rows.columns.length > 0 ? { sample: { columns: rows.columns, rows: rows.rows, truncated: rows.truncated } } : {}),
    ...(old !== undefined && old.columns.length > 0 ? { before: { columns: old.columns, rows: old.rows, truncated: old.truncated } } : {}),
    ...(definition !== undefined ? { definition: definition.text() } : {}),
    committed: !request.dryRun,
  };
}

/** BEGIN, the limits and EXPLAIN of `statement`; over the bound, ROLLBACK and PLAN_TOO_COSTLY. The transaction stays open otherwise. */
async function checkWritePlan(pipeline: Pipeline, opening: readonly PipelineStep[], statement: { text: string; values: (string | null)[] }, bound: { maxCost?: number | undefined }): Promise<void> {
  const plan = new FirstValue();
  const run = await attempt(pipeline, [...opening, { text: explainForGuard(statement.text), values: statement.values, sink: plan }]);
  try {
    if (run.error !== undefined || run.completed.length !== opening.length + 1) throw run.error ?? new Error('the engine answered fewer commands than it was sent');
    checkPlan(topPlanEstimate(plan.value), bound);
  } catch (error) {
    await attempt(pipeline, [{ text: ROLLBACK, values: [] }]);
    throw error;
  }
}

function statementFor(request: WriteRequest, serverVersion: number): { text: string; values: (string | null)[] } {
  const plain = { text: request.sql, values: request.params.map(encodeParam) };
  if (request.kind !== 'dml' || !request.dryRun || request.sampleSql === undefined || request.withoutSample === true) return plain;
  // MERGE ... RETURNING is a syntax error before PostgreSQL 17: run the plain statement, without a sample.
  if (request.checked?.sampleNeedsPg17 === true && serverVersion < PG17) return plain;
  return { text: request.sampleSql, values: (request.sampleParams ?? request.params).map(encodeParam) };
}

/** Ends the transaction; anything but the expected command tag is an error. */
async function finish(pipeline: Pipeline, end: typeof COMMIT | typeof ROLLBACK): Promise<void> {
  const result = await attempt(pipeline, [{ text: end, values: [] }]);
  if (result.error === undefined && result.completed[0]?.command === end) return;
  if (end === ROLLBACK) throw result.error ?? new Error('ROLLBACK did not complete');
  if (result.error === undefined) {
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK.
    throw new BastionError('QUERY_FAILED', 'The database rolled the change back at COMMIT; nothing was committed.');
  }
  if (hasSqlState(result.error)) throw result.error; // refused at COMMIT (deferred constraint, serialization): rolled back
  throw new BastionError(
    'SOURCE_UNAVAILABLE',
    'The connection failed during COMMIT, so whether the change was committed is unknown; check the data before trying again.',
    result.error,
  );
}

async function attempt(pipeline: Pipeline, steps: readonly PipelineStep[]): Promise<PipelineResult> {
  try {
    return await pipeline(steps);
  } catch (error) {
    return { completed: [], error: asError(error) };
  }
}

function hasSqlState(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
