/** The tracer's interface as the pipeline sees it; no OpenTelemetry type crosses it. */
import type { ErrorCode } from '../errors/codes.js';
import type { Metrics } from '../metrics/metrics.js';

/** The stages of a call that get a child span of their own. */
export type CallStage = 'rate_limit' | 'authorize' | 'audit';

/** What the request tells the tracer: from the SDK's handler `extra`, never the arguments. */
export interface CallRequest {
  /** The MCP method, e.g. tools/call. */
  readonly method: string;
  /** The tool name as the client sent it (already bounded with printableTool). */
  readonly tool: string;
  readonly requestId?: string | number | undefined;
  readonly sessionId?: string | undefined;
  /** The protocol revision named in a 2026-07-28 request's `_meta` envelope. */
  readonly protocolVersion?: string | undefined;
  /** The request's params._meta: traceparent, tracestate. */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
  /** The HTTP request's trace context and protocol version headers; absent over stdio. */
  readonly headers?: Readonly<Record<string, string | undefined>> | undefined;
}

/** How the call ended, as the audit record says it. */
export interface CallEnding {
  readonly decision: 'allow' | 'deny';
  /** The error code, when the call failed. */
  readonly code?: ErrorCode | undefined;
  readonly correlationId: string;
  readonly source?: string | undefined;
}

/** The database statement, as far as a trace may tell it: never its text or its parameters. */
export interface StatementFacts {
  readonly engine: 'postgres' | 'pglite' | 'mysql' | 'sqlite';
  readonly source: string;
  /** The guard's fingerprint of the normalized statement. */
  readonly fingerprint?: string | undefined;
  /** db.operation.name, where the policy names it: EXPLAIN, a write's command (UPDATE, CREATE TABLE…). */
  readonly operation?: string | undefined;
  /** A write's dry run (rolled back) or real run. */
  readonly dryRun?: boolean | undefined;
}

/** What a statement's result says, counted. */
export interface StatementCounts {
  readonly returned?: number | undefined;
  readonly affected?: number | undefined;
}

/** One call's server span; ended once, after the audit record is kept. */
export interface CallSpan {
  /** The W3C trace id (32 hex digits), for the audit record and the log. */
  readonly traceId: string;
  /** Runs `work` inside a child span named for the stage. */
  stage<T>(stage: CallStage, work: () => Promise<T>): Promise<T>;
  /** Runs the database statement inside a client span with the database conventions; `counts` reads its result. */
  statement<T>(facts: StatementFacts, work: () => Promise<T>, counts: (result: T) => StatementCounts): Promise<T>;
  end(ending: CallEnding): void;
}

/** The server span of an MCP request other than tools/call (initialize, tools/list, ping…). */
export interface RequestSpan {
  /**
   * Ends the span; `errorType` (a JSON-RPC error code) marks it failed; `protocolVersion` is
   * the revision the session negotiated, when the request did not name one (initialize).
   */
  end(errorType?: string, protocolVersion?: string): void;
}

export interface CallTracer {
  /** The call's server span, or undefined when the sampler leaves this call out. */
  startCall(request: CallRequest): CallSpan | undefined;
  /**
   * The server span of any other request, or of a tools/call the SDK refused before any tool
   * ran (then `request.tool` names it, if it can); undefined when not sampled. `startTime`: when
   * the request began, in milliseconds since the epoch, for a span started after the fact.
   */
  startRequest(request: CallRequest, startTime?: number): RequestSpan | undefined;
  /** Exports what is buffered and stops. */
  close(): Promise<void>;
}

/** One MCP request as the operation-duration metric tells it: bounded values only. */
export interface OperationFacts {
  readonly method: string;
  /** tools/call only: a tool Bastion ships, else `other`. */
  readonly tool?: string | undefined;
  /** `tool_error` for a tool result with isError, the JSON-RPC error code for an error response. */
  readonly errorType?: string | undefined;
  readonly transport: 'pipe' | 'tcp';
  readonly protocolVersion?: string | undefined;
}

/** OpenTelemetry metrics: mcp.server.operation.duration and Bastion's counters, exported over OTLP. */
export interface RequestMeter {
  /** Bastion's counters, histograms and gauges as OpenTelemetry instruments (the facts Prometheus counts). */
  readonly counters: Metrics;
  recordOperation(facts: OperationFacts, seconds: number): void;
  /** Exports what was recorded since the last export and stops. */
  close(): Promise<void>;
}
