import type { AuthFailureCode } from '../auth/identity/errors.js';
import type { ErrorCode } from '../errors/codes.js';
import type { PoolStats } from '../engine/source.js';

/** The tool names a label or metric attribute may carry; a client's made-up name becomes `other`, so series stay bounded. */
const KNOWN_TOOLS: ReadonlySet<string> = new Set([
  'list_sources',
  'list_schemas',
  'list_tables',
  'describe_table',
  'query',
  'explain',
  'execute',
  'change_schema',
  'list_files',
  'read_file',
  'search_files',
]);

/** A tool name as a metric may carry it: one Bastion ships, else `other`. */
export function toolLabel(tool: string): string {
  return KNOWN_TOOLS.has(tool) ? tool : 'other';
}

/** How a tool call ended, as the audit stage classifies it. */
export type CallOutcome = 'ok' | 'denied' | 'rate_limited' | 'error';

/**
 * Why the HTTP layer refused an authenticated request before any tool ran: a JWT
 * without the tool's scope, a principal at its session cap (every session busy), a
 * full session table, or a principal opening sessions faster than its rate limit.
 */
export type HttpRefusalReason = 'insufficient_scope' | 'session_limit' | 'sessions_full' | 'session_rate_limited' | 'request_rate_limited' | 'limiter_unavailable';

/** What the pool gauge reads from a configured source (a SourceEntry has this shape). */
export interface PooledSource {
  /** A configured source name: bounded by the configuration, never client text. */
  readonly name: string;
  readonly source: { poolStats?(): PoolStats };
}

/**
 * Prometheus metrics of one server context. Every recorder is cheap and takes only
 * bounded labels: tool names we ship (anything else is `other`) and closed error
 * codes, never text from a client. When metrics are disabled, all of it is a no-op.
 */
export interface Metrics {
  readonly enabled: boolean;
  /** One finished tool call: counts it, times it, and counts a denial by its code. */
  recordCall(tool: string, outcome: CallOutcome, code: ErrorCode | undefined, seconds: number): void;
  recordAuthFailure(reason: AuthFailureCode): void;
  /** One request refused by the HTTP layer after authentication; `tool` only for a missing scope. */
  recordHttpRefusal(reason: HttpRefusalReason, tool?: string): void;
  /** One idle session closed so that its principal (or a newcomer) could open another. */
  recordSessionReclaimed(): void;
  observeAuditWrite(seconds: number): void;
  /** Reports the open HTTP sessions as a gauge, read at scrape time. */
  trackSessions(count: () => number): void;
  /** Reports each source's pool (total, idle, waiting connections) as gauges, read at scrape time. */
  trackSources(sources: () => readonly PooledSource[]): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<{ contentType: string; text: string }>;
  close(): void;
}

export const NO_METRICS: Metrics = {
  enabled: false,
  recordCall: () => undefined,
  recordAuthFailure: () => undefined,
  recordHttpRefusal: () => undefined,
  recordSessionReclaimed: () => undefined,
  observeAuditWrite: () => undefined,
  trackSessions: () => undefined,
  trackSources: () => undefined,
  render: () => Promise.resolve({ contentType: 'text/plain', text: '' }),
  close: () => undefined,
};

/**
 * Recorders to two sets of metrics: Prometheus (`primary`, which alone says whether /metrics
 * is served and renders it) and the OpenTelemetry instruments of the same facts.
 */
export function teeMetrics(primary: Metrics, also: Metrics): Metrics {
  return {
    enabled: primary.enabled,
    recordCall: (tool, outcome, code, seconds) => {
      primary.recordCall(tool, outcome, code, seconds);
      also.recordCall(tool, outcome, code, seconds);
    },
    recordAuthFailure: (reason) => {
      primary.recordAuthFailure(reason);
      also.recordAuthFailure(reason);
    },
    recordHttpRefusal: (reason, tool) => {
      primary.recordHttpRefusal(reason, tool);
      also.recordHttpRefusal(reason, tool);
    },
    recordSessionReclaimed: () => {
      primary.recordSessionReclaimed();
      also.recordSessionReclaimed();
    },
    observeAuditWrite: (seconds) => {
      primary.observeAuditWrite(seconds);
      also.observeAuditWrite(seconds);
    },
    trackSessions: (count) => {
      primary.trackSessions(count);
      also.trackSessions(count);
    },
    trackSources: (sources) => {
      primary.trackSources(sources);
      also.trackSources(sources);
    },
    render: () => primary.render(),
    close: () => {
      primary.close();
      also.close();
    },
  };
}
