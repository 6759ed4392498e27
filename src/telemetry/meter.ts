/**
 * The OpenTelemetry metrics SDK behind RequestMeter: a meter provider of Bastion's own
 * (nothing is registered globally), a periodic reader and one OTLP/HTTP exporter, protobuf
 * or JSON. `mcp.server.operation.duration` follows the semantic conventions for MCP; the
 * other instruments count what Bastion's Prometheus metrics count (README, Observability).
 * Every attribute is bounded: a method the SDK served, a tool Bastion ships (else `other`),
 * a closed error code, a configured source name; never an argument or a statement.
 */
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { MetricsExportSettings } from '../config/telemetry.js';
import type { Logger } from '../log/logger.js';
import { toolLabel, type Metrics, type PooledSource } from '../metrics/metrics.js';
import { reportExportFailures } from './export-failures.js';
import type { OperationFacts, RequestMeter } from './types.js';

/** Seconds; the semantic conventions' advice for mcp.server.operation.duration. */
const OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** The buckets of the Prometheus histograms of the same facts (prometheus.ts). */
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const AUDIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export async function startMeter(settings: MetricsExportSettings, version: string, log: Logger): Promise<RequestMeter> {
  reportExportFailures(log);
  const reader = new PeriodicExportingMetricReader({
    exporter: await exporterFor(settings),
    exportIntervalMillis: settings.intervalMs,
    // The SDK requires the timeout not to exceed the interval.
    exportTimeoutMillis: Math.min(30_000, settings.intervalMs),
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': version }),
    readers: [reader],
  });
  const meter = provider.getMeter('bastion', version);

  const operation = meter.createHistogram('mcp.server.operation.duration', {
    unit: 's',
    description: 'MCP request duration as the server sees it, by method (and tool for tools/call).',
    advice: { explicitBucketBoundaries: OPERATION_BUCKETS },
  });
  const calls = meter.createCounter('bastion.tool.calls', { unit: '{call}', description: 'Tool calls by tool and outcome (ok, denied, rate_limited, error).' });
  const denials = meter.createCounter('bastion.denials', { unit: '{call}', description: 'Tool calls a control refused (denied or rate_limited), by tool and error code.' });
  const authFailures = meter.createCounter('bastion.auth.failures', { unit: '{request}', description: 'Failed HTTP authentications, by reason.' });
  const httpRefusals = meter.createCounter('bastion.http.refusals', { unit: '{request}', description: 'Authenticated HTTP requests refused before a tool ran, by reason and tool (none for sessions).' });
  const reclaimed = meter.createCounter('bastion.sessions.reclaimed', { unit: '{session}', description: 'Idle HTTP sessions closed to make room for a new one.' });
  const callDuration = meter.createHistogram('bastion.tool.call.duration', {
    unit: 's',
    description: 'Tool call duration, from the rate limiter to the answer, before the audit record.',
    advice: { explicitBucketBoundaries: CALL_BUCKETS },
  });
  const auditWrite = meter.createHistogram('bastion.audit.write.duration', {
    unit: 's',
    description: 'Time to keep one audit record in every configured sink.',
    advice: { explicitBucketBoundaries: AUDIT_BUCKETS },
  });

  let sessionCount: (() => number) | undefined;
  let sources: (() => readonly PooledSource[]) | undefined;
  meter.createObservableUpDownCounter('bastion.sessions', { unit: '{session}', description: 'Open MCP sessions on the HTTP transport.' }).addCallback((result) => {
    if (sessionCount !== undefined) result.observe(sessionCount());
  });
  meter.createObservableUpDownCounter('bastion.pool.connections', { unit: '{connection}', description: 'Database connections per source pool: total open, idle in the pool, and calls waiting for one.' }).addCallback((result) => {
    for (const { name, source } of sources?.() ?? []) {
      // A pool that cannot be read leaves its series out; the rest still reports.
      try {
        const stats = source.poolStats?.();
        if (stats === undefined) continue;
        result.observe(stats.total, { 'bastion.source': name, 'bastion.pool.state': 'total' });
        result.observe(stats.idle, { 'bastion.source': name, 'bastion.pool.state': 'idle' });
        result.observe(stats.waiting, { 'bastion.source': name, 'bastion.pool.state': 'waiting' });
      } catch {
        continue;
      }
    }
  });

  const counters: Metrics = {
    enabled: true,
    recordCall: (tool, outcome, code, seconds) => {
      const label = toolLabel(tool);
      calls.add(1, { 'gen_ai.tool.name': label, 'bastion.outcome': outcome });
      callDuration.record(seconds, { 'gen_ai.tool.name': label });
      if (code !== undefined && (outcome === 'denied' || outcome === 'rate_limited')) denials.add(1, { 'gen_ai.tool.name': label, 'bastion.reason': code });
    },
    recordAuthFailure: (reason) => authFailures.add(1, { 'bastion.reason': reason }),
    recordHttpRefusal: (reason, tool) => httpRefusals.add(1, { 'bastion.reason': reason, 'gen_ai.tool.name': tool === undefined ? 'none' : toolLabel(tool) }),
    recordSessionReclaimed: () => reclaimed.add(1),
    observeAuditWrite: (seconds) => auditWrite.record(seconds),
    trackSessions: (count) => {
      sessionCount = count;
    },
    trackSources: (list) => {
      sources = list;
    },
    render: () => Promise.resolve({ contentType: 'text/plain', text: '' }),
    close: () => {
      sessionCount = undefined;
      sources = undefined;
    },
  };

  return {
    counters,
    recordOperation: (facts, seconds) => operation.record(seconds, operationAttributes(facts)),
    // shutdown() collects and exports once more before it stops: the last calls are not lost.
    close: () => provider.shutdown(),
  };
}

/** Only the chosen exporter's module is loaded. */
async function exporterFor(settings: MetricsExportSettings): Promise<PushMetricExporter> {
  const { OTLPMetricExporter } =
    settings.protocol === 'http/json' ? await import('@opentelemetry/exporter-metrics-otlp-http') : await import('@opentelemetry/exporter-metrics-otlp-proto');
  return new OTLPMetricExporter({ url: settings.metricsUrl });
}

function operationAttributes(facts: OperationFacts): Attributes {
  return {
    'mcp.method.name': facts.method,
    ...(facts.tool === undefined ? {} : { 'gen_ai.tool.name': facts.tool }),
    ...(facts.errorType === undefined ? {} : { 'error.type': facts.errorType }),
    'network.transport': facts.transport,
    ...(facts.protocolVersion === undefined ? {} : { 'mcp.protocol.version': facts.protocolVersion }),
  };
}
