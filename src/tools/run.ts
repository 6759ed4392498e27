import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isInputRequiredResult, type CallToolResult, type InputRequiredResult } from '@modelcontextprotocol/server';
import { argsShape, type AuditApproval, type AuditDecision, type AuditOutcome } from '../audit/record.js';
import { BastionError, type ErrorCode } from '../errors/codes.js';
import { newCorrelationId } from '../errors/correlation.js';
import { toToolErrorResult } from '../errors/to-result.js';
import { redactDeep } from '../log/redact.js';
import type { Fingerprinted } from '../engine/policy.js';
import type { SourceEntry } from '../engine/registry.js';
import type { CallOutcome } from '../metrics/index.js';
import type { ServerContext, ToolCall } from '../session/context.js';
import { withFairShare } from '../engine/fair-share.js';
import { inStage, type CallRequest, type CallSpan } from '../telemetry/index.js';

/** What a tool body adds to its call's audit record (writes: dry run, rows affected, approval). */
export interface CallNote {
  dry_run?: boolean;
  affected?: number;
  approval?: AuditApproval;
}

/**
 * One call on its way through the stages: its source, resolved once before the rate
 * limiter, and what the body learns for the audit record, so the audit neither looks
 * the source up again nor parses the statement again.
 */
export interface CallState {
  /** The source the call names, or the only one its role sees: the per-source limit's key and the record's `source`. */
  readonly sourceName: string | undefined;
  /** The source the call uses; throws what the registry's resolve() throws (unknown, not visible, several and none named). */
  source(): SourceEntry;
  /** What the body adds to the audit record. */
  readonly note: CallNote;
  /** The statement the source's guard accepted, with its fingerprint for the audit record. */
  checked?: Fingerprinted;
  /** The call's trace span, when telemetry is on and the call is sampled. */
  readonly span: CallSpan | undefined;
}

/** What the SDK passes a tool handler that this stage uses. */
export interface CallExtra {
  readonly sessionId?: string | undefined;
  /** The JSON-RPC id of the tools/call request. */
  readonly requestId?: string | number | undefined;
  /** Trace context and protocol version headers of the HTTP request that carried the call; absent over stdio. */
  readonly headers?: Readonly<Record<string, string | undefined>> | undefined;
  /** The protocol revision a 2026-07-28 request names in its `_meta` envelope (the SDK lifts it out of `_meta`). */
  readonly protocolVersion?: string | undefined;
  /** Aborted when the client cancels the request (notifications/cancelled). */
  readonly signal?: AbortSignal | undefined;
  /** The request's metadata; a progressToken means the client asked for progress notifications; traceparent continues a trace. */
  readonly _meta?: { readonly progressToken?: string | number | undefined; readonly [key: string]: unknown } | undefined;
  /** Sends a notification tied to this request (a transport without a stream drops it). */
  readonly sendNotification?: ((notification: ProgressNotice) => Promise<void>) | undefined;
  /**
   * A 2026-07-28 request whose `_meta` envelope declares form elicitation among the client's
   * capabilities: a person can be asked with an `input_required` result. Never true on 2025.
   */
  readonly elicitationInBand?: boolean | undefined;
  /** A 2026-07-28 retry: the `requestState` it echoes, as received (unverified). */
  readonly requestState?: string | undefined;
  /** A 2026-07-28 retry: the client's answers to the embedded requests, as received (unvalidated). */
  readonly inputResponses?: Readonly<Record<string, unknown>> | undefined;
}

/** What a tool body answers: a result, or (2026-07-28, writes) a request for a person's input. */
export type ToolAnswer = CallToolResult | InputRequiredResult;

/** The one notification a tool body sends while it runs (MCP notifications/progress). */
export interface ProgressNotice {
  method: 'notifications/progress';
  params: { progressToken: string | number; progress: number; message?: string };
}

/** Tools that read files, not a database source. */
const FILE_TOOLS: ReadonlySet<string> = new Set(['list_files', 'read_file', 'search_files']);

/**
 * Tools whose whole call holds one of the principal's slots on its source (fair-share.ts):
 * the statement and every catalog read behind the call (the rules' lookups, list_tables,
 * describe_table), so no kind of call lets one principal hold every connection. Governed
 * writes take theirs around the write itself (write-tools.ts): a write waiting for a
 * person holds no connection.
 */
const SLOT_PER_CALL: ReadonlySet<string> = new Set(['query', 'explain', 'list_tables', 'describe_table', 'list_schemas']);

interface OpenCall extends CallState {
  /** The resolved source, when the call has one the role may use. */
  readonly entry: SourceEntry | undefined;
}

/**
 * Resolves the call's source once, without throwing: a call refused for its source is
 * still rate limited first, and its error comes from the body, as resolve() words it.
 */
function openCall(call: ToolCall, tool: string, args: unknown, span: CallSpan | undefined): OpenCall {
  const named = (args as { source?: unknown } | undefined)?.source;
  const name = typeof named === 'string' ? named : undefined;
  const entry = FILE_TOOLS.has(tool) ? undefined : call.ctx.sources.pick(name, call.role);
  return {
    sourceName: FILE_TOOLS.has(tool) ? undefined : (name ?? entry?.name),
    entry,
    source: () => entry ?? call.ctx.sources.resolve(name, call.role),
    note: {},
    span,
  };
}

/**
 * Wraps a tool body: the rate-limit stage, the body, then the audit stage; nothing
 * the body throws reaches the SDK's generic handler (which would send the raw
 * message to the client): every failure is mapped once, here. The answer leaves
 * only after its audit record is kept.
 */
export function guardedTool<A>(
  name: string,
  call: ToolCall,
  body: (args: A, state: CallState, extra: CallExtra | undefined) => Promise<ToolAnswer>,
): (args: A, extra?: CallExtra) => Promise<ToolAnswer> {
  return async (args: A, extra?: CallExtra) => {
    const started = performance.now();
    const correlationId = newCorrelationId();
    const span = call.ctx.tracer?.startCall(callRequest(name, extra));
    const state = openCall(call, name, args, span);
    let result: ToolAnswer;
    let code: ErrorCode | undefined;
    try {
      await inStage(span, 'rate_limit', () => call.ctx.limiter.consumeCall({ principal: call.principal, tool: name, source: state.sourceName, principalCounted: call.principalCounted }));
      const entry = SLOT_PER_CALL.has(name) ? state.entry : undefined;
      result = await (entry === undefined
        ? body(args, state, extra)
        : withFairShare(entry.source, call.principal.id, call.ctx.config.limits.max_in_flight_per_principal, () => body(args, state, extra)));
      result._meta = { ...result._meta, 'bastion/correlation_id': correlationId };
    } catch (error) {
      code = error instanceof BastionError ? error.code : 'INTERNAL';
      result = toToolErrorResult(error, call.ctx.log, { tool: name, principal: call.principal.id, traceId: span?.traceId }, correlationId);
    }
    return audited(call, { tool: name, args, correlationId, started, code, extra, state, span }, result);
  };
}

/**
 * A call refused before its tool ran (an unknown or forbidden tool name, arguments
 * that fail the schema): it spends the principal's rate limit like any call (a flood of
 * refused calls is limited like a flood of served ones), is answered with the error, or
 * RATE_LIMITED once that limit is spent, and is audited like any other call.
 */
export async function refusedCall(call: ToolCall, tool: string, args: unknown, error: BastionError, extra?: CallExtra): Promise<CallToolResult> {
  const started = performance.now();
  const correlationId = newCorrelationId();
  const span = call.ctx.tracer?.startCall(callRequest(printableTool(tool), extra));
  let refusal: unknown = error;
  if (call.principalCounted !== true) {
    try {
      await inStage(span, 'rate_limit', () => call.ctx.limiter.consumePrincipal(call.principal));
    } catch (limited) {
      refusal = limited;
    }
  }
  const code = refusal instanceof BastionError ? refusal.code : 'INTERNAL';
  const result = toToolErrorResult(refusal, call.ctx.log, { tool: printableTool(tool), principal: call.principal.id, traceId: span?.traceId }, correlationId);
  return audited(call, { tool: printableTool(tool), args, correlationId, started, code, extra, span }, result);
}

/** What the tracer reads of a tools/call request: never its arguments. */
function callRequest(tool: string, extra: CallExtra | undefined): CallRequest {
  return {
    method: 'tools/call',
    tool,
    requestId: extra?.requestId,
    sessionId: extra?.sessionId,
    protocolVersion: extra?.protocolVersion,
    meta: extra?._meta,
    headers: extra?.headers,
  };
}

interface CallFacts {
  readonly tool: string;
  readonly args: unknown;
  readonly correlationId: string;
  readonly started: number;
  /** The error code, when the call failed. */
  readonly code: ErrorCode | undefined;
  readonly extra: CallExtra | undefined;
  /** Absent for a call refused before its tool ran. */
  readonly state?: OpenCall;
  readonly span: CallSpan | undefined;
}

/** Records the call, then ends its span; if the record cannot be kept, the answer is withheld (fail closed). */
async function audited<R extends ToolAnswer>(call: ToolCall, facts: CallFacts, result: R): Promise<R | CallToolResult> {
  if (facts.span === undefined) return recorded(call, facts, result);
  const answer = await recorded(call, facts, result);
  const failed = answer === result ? facts.code : 'AUDIT_UNAVAILABLE';
  facts.span.end({ decision: classify(failed).decision === 'deny' ? 'deny' : 'allow', code: failed, correlationId: facts.correlationId, source: facts.state?.entry?.name });
  return answer;
}

async function recorded<R extends ToolAnswer>(call: ToolCall, facts: CallFacts, result: R): Promise<R | CallToolResult> {
  const { ctx } = call;
  const { decision, outcome } = classify(facts.code);
  ctx.metrics.recordCall(facts.tool, outcome, facts.code, (performance.now() - facts.started) / 1000);
  if (!ctx.audit.enabled) return result;
  const structured = (isInputRequiredResult(result) ? undefined : result.structuredContent) as { row_count?: unknown } | undefined;
  const note = facts.state?.note;
  const auditStarted = performance.now();
  try {
    await inStage(facts.span, 'audit', () => ctx.audit.record({
      principal: { id: call.principal.id, kind: call.principal.kind, role: call.principal.role },
      session: facts.extra?.sessionId ?? call.session ?? randomUUID(),
      correlation_id: facts.correlationId,
      trace_id: facts.span?.traceId,
      tool: facts.tool,
      source: facts.state?.sourceName,
      fingerprint: fingerprintOf(ctx, facts),
      args_shape: argsShape(facts.args ?? {}),
      args: ctx.config.audit.include_values ? redactDeep(facts.args ?? {}) : undefined,
      decision,
      reason: facts.code,
      rows: typeof structured?.row_count === 'number' ? structured.row_count : undefined,
      bytes: answerBytes(result),
      duration_ms: Math.round((performance.now() - facts.started) * 100) / 100,
      ...note,
      outcome: note?.approval?.state === 'requested' && outcome === 'ok' ? 'pending' : outcome,
    }));
    ctx.metrics.observeAuditWrite((performance.now() - auditStarted) / 1000);
  } catch (error) {
    return toToolErrorResult(new BastionError('AUDIT_UNAVAILABLE', undefined, error), ctx.log, { tool: facts.tool, principal: call.principal.id, traceId: facts.span?.traceId }, facts.correlationId);
  }
  return result;
}

/**
 * The statement's fingerprint, by the engine of the call's source (a PostgreSQL fingerprint
 * of MySQL text would mislead): the one its guard's verdict keeps when the guard accepted
 * the statement; else, for a call refused before or by the guard, the guard fingerprints
 * the text — also that of a source the call named but may not use.
 */
function fingerprintOf(ctx: ServerContext, facts: CallFacts): string | undefined {
  const sql = (facts.args as { sql?: unknown } | undefined)?.sql;
  const state = facts.state;
  if (typeof sql !== 'string' || state?.sourceName === undefined) return undefined;
  if (state.checked !== undefined) return state.checked.fingerprint;
  return (state.entry ?? ctx.sources.get(state.sourceName))?.guard.fingerprint?.(sql);
}

/** Codes that mean a control said no; the rest are failures of a call that was allowed. */
const DENIALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'SOURCE_NOT_FOUND',
  'SQL_PARSE_ERROR',
  'SQL_MULTIPLE_STATEMENTS',
  'SQL_NOT_READ_ONLY',
  'SQL_FUNCTION_DENIED',
  'SQL_FEATURE_DENIED',
  'DENIED_BY_POLICY',
  'TOOL_NOT_ALLOWED',
  'LIMITER_UNAVAILABLE',
  'WRITE_NOT_ALLOWED',
  'APPROVAL_INVALID',
  'PLAN_TOO_COSTLY',
]);

function classify(code: ErrorCode | undefined): { decision: AuditDecision; outcome: AuditOutcome & CallOutcome } {
  if (code === undefined) return { decision: 'allow', outcome: 'ok' };
  if (code === 'RATE_LIMITED' || code === 'SOURCE_BUSY') return { decision: 'deny', outcome: 'rate_limited' };
  if (DENIALS.has(code)) return { decision: 'deny', outcome: 'denied' };
  return { decision: 'allow', outcome: 'error' };
}

/** UTF-8 bytes of the text the client receives. */
function answerBytes(result: ToolAnswer): number {
  let bytes = 0;
  if (isInputRequiredResult(result)) return Buffer.byteLength(JSON.stringify(result.inputRequests ?? {}), 'utf8');
  for (const part of result.content) if (part.type === 'text') bytes += Buffer.byteLength(part.text, 'utf8');
  return bytes;
}

/** A tool name from the client goes into records and logs only in a bounded, plain form. */
export function printableTool(name: string): string {
  return /^[a-z_]{1,64}$/.test(name) ? name : `(invalid name, ${name.length} chars)`;
}
