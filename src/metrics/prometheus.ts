import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthFailureCode } from '../auth/identity/errors.js';
import type { ErrorCode } from '../errors/codes.js';
import type { PoolStats } from '../engine/source.js';
import { toolLabel, type CallOutcome, type HttpRefusalReason, type Metrics, type PooledSource } from './metrics.js';


/** Seconds; from a cached PGlite lookup to a slow report query. */
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; an fsync'd append is milliseconds, a remote sink more. */
const AUDIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Metrics in a registry of their own, so two contexts in one process never share counters. */
export class PrometheusMetrics implements Metrics {
  readonly enabled = true;
  private readonly registry = new Registry();
  private readonly calls = new Counter({
    name: 'bastion_tool_calls_total',
    help: 'Tool calls by tool and outcome (ok, denied, rate_limited, error).',
    labelNames: ['tool', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly denials = new Counter({
    name: 'bastion_denials_total',
    help: 'Tool calls a control refused (denied or rate_limited), by tool and error code.',
    labelNames: ['tool', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly authFailures = new Counter({
    name: 'bastion_auth_failures_total',
    help: 'Failed HTTP authentications, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly httpRefusals = new Counter({
    name: 'bastion_http_refusals_total',
    help: 'Authenticated HTTP requests refused before a tool ran (insufficient_scope, session_limit, sessions_full, session_rate_limited, request_rate_limited), by reason and tool (none for sessions).',
    labelNames: ['reason', 'tool'] as const,
    registers: [this.registry],
  });
  private readonly sessionsReclaimed = new Counter({
    name: 'bastion_sessions_reclaimed_total',
    help: 'Idle HTTP sessions closed to make room for a new one (a principal at its cap, or a full table).',
    registers: [this.registry],
  });
  private readonly callDuration = new Histogram({
    name: 'bastion_tool_call_duration_seconds',
    help: 'Tool call duration, from the rate limiter to the answer, before the audit record.',
    labelNames: ['tool'] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  private readonly auditWrite = new Histogram({
    name: 'bastion_audit_write_duration_seconds',
    help: 'Time to keep one audit record in every configured sink.',
    buckets: AUDIT_BUCKETS,
    registers: [this.registry],
  });
  private sessionCount: (() => number) | undefined;
  private sources: (() => readonly PooledSource[]) | undefined;

  constructor() {
    const sessions = (): number => this.sessionCount?.() ?? 0;
    new Gauge({
      name: 'bastion_sessions',
      help: 'Open MCP sessions on the HTTP transport.',
      registers: [this.registry],
      collect() {
        this.set(sessions());
      },
    });
    const pools = (): [string, PoolStats][] => (this.sources?.() ?? []).flatMap(({ name, source }) => {
      // A pool that cannot be read leaves its series out; the rest of the scrape still answers.
      try {
        const stats = source.poolStats?.();
        return stats === undefined ? [] : [[name, stats] as [string, PoolStats]];
      } catch {
        return [];
      }
    });
    new Gauge({
      name: 'bastion_pool_connections',
      help: 'Database connections per source pool (PostgreSQL, MySQL): total open, idle in the pool, and calls waiting for one.',
      labelNames: ['source', 'state'] as const,
      registers: [this.registry],
      collect() {
        // Reset first, so a source that is gone leaves no stale series.
        this.reset();
        for (const [source, stats] of pools()) {
          this.set({ source, state: 'total' }, stats.total);
          this.set({ source, state: 'idle' }, stats.idle);
          this.set({ source, state: 'waiting' }, stats.waiting);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  recordCall(tool: string, outcome: CallOutcome, code: ErrorCode | undefined, seconds: number): void {
    const label = toolLabel(tool);
    this.calls.inc({ tool: label, outcome });
    this.callDuration.observe({ tool: label }, seconds);
    if (code !== undefined && (outcome === 'denied' || outcome === 'rate_limited')) this.denials.inc({ tool: label, reason: code });
  }

  recordAuthFailure(reason: AuthFailureCode): void {
    this.authFailures.inc({ reason });
  }

  recordHttpRefusal(reason: HttpRefusalReason, tool?: string): void {
    this.httpRefusals.inc({ reason, tool: tool === undefined ? 'none' : toolLabel(tool) });
  }

  recordSessionReclaimed(): void {
    this.sessionsReclaimed.inc();
  }

  observeAuditWrite(seconds: number): void {
    this.auditWrite.observe(seconds);
  }

  trackSessions(count: () => number): void {
    this.sessionCount = count;
  }

  trackSources(sources: () => readonly PooledSource[]): void {
    this.sources = sources;
  }

  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  close(): void {
    this.sessionCount = undefined;
    this.sources = undefined;
    this.registry.clear();
  }
}
