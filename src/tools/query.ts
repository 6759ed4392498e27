import { performance } from 'node:perf_hooks';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { authorizeRead } from '../authorize/statement.js';
import { withProtectionParams } from '../engine/protection.js';
import { BastionError } from '../errors/codes.js';
import type { ReadTool } from '../engine/policy.js';
import { applyMasks, maskHashKey } from '../shape/mask.js';
import { readCaps, rowsResult } from '../shape/result.js';
import type { ParamValue, PlanBound, ReadResult } from '../engine/source.js';
import { guardedTool, type CallExtra, type CallState } from './run.js';
import { inStage } from '../telemetry/index.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';
import { paramsArg, rowsOutput, sourceArg, sqlArg } from './schemas.js';

interface ReadArgs {
  source?: string | undefined;
  sql: string;
  params?: ParamValue[] | undefined;
  max_rows?: number | undefined;
}

/** How often a running read tells a client that asked for progress that it is still running. */
const PROGRESS_INTERVAL_MS = 1_000;

/**
 * policy → source → caps: the read path shared by query and explain, on the source
 * the call resolved (`state`), where the checked statement is left for the audit. With
 * the call's `extra`, a client's cancellation stops the statement on the engine, and a
 * client that asked for progress hears every second that the read still runs.
 */
export async function runRead(call: ToolCall, tool: ReadTool, args: ReadArgs, state: CallState, extra?: CallExtra): Promise<ReadResult> {
  const { ctx } = call;
  const entry = state.source();
  const { guard } = entry;
  const { checked, authorized } = await inStage(state.span, 'authorize', async () => {
    const checked = guard.checkRead(args.sql, tool);
    state.checked = checked;
    // An EXPLAIN through query is the explain tool's call: a role without explain gets no plan either way.
    if (checked.tool === 'explain' && !call.role.tool('explain')) {
      throw new BastionError('TOOL_NOT_ALLOWED', 'EXPLAIN needs the explain tool, which your role does not allow.');
    }
    return { checked, authorized: await authorizeRead(call.role, checked, entry.catalog, { byConstruction: guard.protect !== undefined, indexNames: guard.hidesIndexesByName === true }) };
  });
  const params = args.params ?? [];
  if (params.length !== checked.paramCount) {
    throw new BastionError(
      'INVALID_ARGUMENT',
      `The statement uses ${checked.paramCount} parameter${checked.paramCount === 1 ? '' : 's'} but ${params.length} ${params.length === 1 ? 'was' : 'were'} given.`,
    );
  }
  const limits = ctx.config.limits;
  if (extra?.signal?.aborted === true) throw new BastionError('QUERY_CANCELLED');
  // A role with rules runs the statement as its engine rebuilt it: protected relations
  // replaced by what the role may see, every name qualified, nothing else resolvable.
  const run = call.role.unrestricted || guard.protect === undefined ? undefined : guard.protect(checked, authorized.protection, maskHashKey());
  // The principal's share of the source was taken with the call (run.ts): past it, SOURCE_BUSY before any connection.
  const read = (): Promise<ReadResult> =>
    entry.source.read({
      sql: run?.sql ?? checked.sql,
      params: run === undefined ? params : withProtectionParams(params, run),
      pinnedNames: run !== undefined,
      shadows: run?.shadows,
      withoutIndexScans: run?.withoutIndexScans,
      maxRows: Math.min(args.max_rows ?? limits.max_rows, limits.max_rows),
      maxBytes: limits.max_bytes,
      signal: extra?.signal,
      quietData: !call.role.unrestricted,
      planBound: checked.tool === 'query' ? planBoundOf(limits) : undefined,
    });
  const statement = { engine: entry.engine, source: entry.name, fingerprint: checked.fingerprint, operation: checked.tool === 'explain' ? 'EXPLAIN' : undefined };
  const result = await withProgress(extra, state.span === undefined ? read() : state.span.statement(statement, read, (r) => ({ returned: r.rows.length })));
  return applyMasks(result, authorized);
}

/** The plan-cost guard's bounds, when either is set (an EXPLAIN is never judged: it runs nothing). */
function planBoundOf(limits: { max_plan_cost?: number | undefined; max_plan_rows?: number | undefined }): PlanBound | undefined {
  if (limits.max_plan_cost === undefined && limits.max_plan_rows === undefined) return undefined;
  return { maxCost: limits.max_plan_cost, maxRows: limits.max_plan_rows };
}

/**
 * Sends notifications/progress (elapsed seconds) every second until `work` settles,
 * when the request carries a progressToken. The timer stops before the answer
 * leaves, so no progress ever follows it; a failed send never fails the call.
 */
async function withProgress<T>(extra: CallExtra | undefined, work: Promise<T>): Promise<T> {
  const progressToken = extra?._meta?.progressToken;
  const send = extra?.sendNotification;
  if (progressToken === undefined || send === undefined) return work;
  const started = performance.now();
  let reported = 0;
  const timer = setInterval(() => {
    // Strictly increasing, as the spec asks, even when the event loop bunches ticks.
    reported = Math.max(reported + 1, Math.round((performance.now() - started) / 1000));
    send({ method: 'notifications/progress', params: { progressToken, progress: reported, message: 'query running' } }).catch(() => undefined);
  }, PROGRESS_INTERVAL_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

export function registerQuery(server: McpServer, call: ToolCall): RegisteredTool {
  const cap = call.ctx.config.limits.max_rows;
  return registerDefined(
    server,
    call,
    'query',
    () => ({
      title: 'Run a read-only query',
      description:
        'Runs exactly one read-only statement (SELECT, VALUES or TABLE) with optional parameters ($1..$n on PostgreSQL, ? on MySQL and SQLite). ' +
        'EXPLAIN of such a statement is accepted as the explain tool accepts it (never ANALYZE). ' +
        'Results are capped in rows and bytes; truncated=true says a cap was hit.',
      inputSchema: {
        source: sourceArg,
        sql: sqlArg,
        params: paramsArg,
        max_rows: z.number().int().positive().max(cap).optional().describe(`At most ${cap}.`),
      },
      outputSchema: rowsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    }),
    guardedTool('query', call, async (args: ReadArgs, state, extra) =>
      rowsResult(await runRead(call, 'query', args, state, extra), readCaps(call.ctx.config.limits, args.max_rows)),
    ),
  );
}
