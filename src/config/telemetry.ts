import { z } from 'zod';
import { BastionError } from '../errors/codes.js';
import { lookup, type Environment } from './env-file.js';

/**
 * OpenTelemetry traces and metrics (bastion.yaml `telemetry:`). Unset `enabled` follows the
 * standard variables: traces are on when OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER=otlp is set; metrics when
 * OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or
 * OTEL_METRICS_EXPORTER=otlp is. Headers (a collector's token) come only from
 * OTEL_EXPORTER_OTLP_HEADERS, never from this file.
 */
export const telemetrySchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** OTLP/HTTP base URL of the collector; spans go to <endpoint>/v1/traces. */
  endpoint: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL, e.g. http://127.0.0.1:4318' }).optional(),
  protocol: z.enum(['http/protobuf', 'http/json']).optional(),
  service_name: z.string().min(1).max(255).optional(),
  /** The share of new traces recorded (a trace continued from a caller follows the caller's choice). */
  sample_ratio: z.number().min(0).max(1).optional(),
  /** OTLP metrics; unset follows `enabled` (false keeps traces without metrics). */
  metrics: z.boolean().optional(),
  /** How often metrics are exported, in milliseconds (OTEL_METRIC_EXPORT_INTERVAL wins). */
  metric_export_interval_ms: z.number().int().min(100).max(3_600_000).optional(),
});

export type TelemetryConfig = z.infer<typeof telemetrySchema>;

/** What the tracer is built from, resolved once at start-up from bastion.yaml and the OTEL_* variables. */
export interface TelemetrySettings {
  /** The full URL spans are posted to. */
  readonly tracesUrl: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly serviceName: string;
  /** Absent: the SDK's sampler from OTEL_TRACES_SAMPLER (default parentbased_always_on). */
  readonly sampleRatio?: number | undefined;
}

/** What the OTLP metrics pipeline is built from; present only when metrics over OTLP are on. */
export interface MetricsExportSettings {
  /** The full URL metrics are posted to. */
  readonly metricsUrl: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly serviceName: string;
  /** Milliseconds between two exports. */
  readonly intervalMs: number;
}

/** The SDK's default export interval (OTEL_METRIC_EXPORT_INTERVAL). */
const DEFAULT_METRIC_INTERVAL_MS = 60_000;

const PROTOCOLS: ReadonlySet<string> = new Set(['http/protobuf', 'http/json']);

/**
 * The telemetry settings, or undefined when traces are off. A variable wins over the
 * file, as BASTION_* ones do; OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn
 * traces off whatever the file says. A value Bastion cannot honour stops the start.
 */
export function resolveTelemetry(file: TelemetryConfig | undefined, env: Environment): TelemetrySettings | undefined {
  const exporter = lookup(env, 'OTEL_TRACES_EXPORTER')?.trim().toLowerCase();
  if (exporter !== undefined && exporter !== '' && exporter !== 'otlp' && exporter !== 'none') {
    throw new BastionError('CONFIG_INVALID', `OTEL_TRACES_EXPORTER: Bastion exports traces over OTLP only; set it to "otlp" or "none", got ${JSON.stringify(exporter)}.`);
  }
  if (lookup(env, 'OTEL_SDK_DISABLED')?.trim().toLowerCase() === 'true' || exporter === 'none') return undefined;
  const tracesEndpoint = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'));
  const endpoint = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'));
  const asked = file?.enabled ?? (exporter === 'otlp' || tracesEndpoint !== undefined || endpoint !== undefined);
  if (!asked) return undefined;

  const protocol = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')) ?? nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')) ?? file?.protocol ?? 'http/protobuf';
  if (!PROTOCOLS.has(protocol)) {
    throw new BastionError('CONFIG_INVALID', `OTEL_EXPORTER_OTLP_PROTOCOL: Bastion sends traces over OTLP/HTTP; set "http/protobuf" or "http/json", got ${JSON.stringify(protocol)}.`);
  }
  const tracesUrl = tracesEndpoint ?? signalUrl(endpoint ?? file?.endpoint ?? 'http://localhost:4318', 'traces');
  checkUrl(tracesUrl);
  const sampler = nonEmpty(lookup(env, 'OTEL_TRACES_SAMPLER'));
  return {
    tracesUrl,
    protocol: protocol as TelemetrySettings['protocol'],
    serviceName: nonEmpty(lookup(env, 'OTEL_SERVICE_NAME')) ?? file?.service_name ?? 'bastion',
    sampleRatio: sampler === undefined ? file?.sample_ratio : undefined,
  };
}

/**
 * The OTLP metrics settings, or undefined when metrics over OTLP are off; the rules of
 * resolveTelemetry, with the metrics variables: OTEL_METRICS_EXPORTER=none turns them off,
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / _PROTOCOL win over the shared ones, and
 * OTEL_METRIC_EXPORT_INTERVAL sets the interval. Prometheus (`metrics:`) is separate.
 */
export function resolveMetricsExport(file: TelemetryConfig | undefined, env: Environment): MetricsExportSettings | undefined {
  const exporter = lookup(env, 'OTEL_METRICS_EXPORTER')?.trim().toLowerCase();
  if (exporter !== undefined && exporter !== '' && exporter !== 'otlp' && exporter !== 'none') {
    throw new BastionError(
      'CONFIG_INVALID',
      `OTEL_METRICS_EXPORTER: Bastion exports OpenTelemetry metrics over OTLP only (Prometheus is metrics.enabled in bastion.yaml); set it to "otlp" or "none", got ${JSON.stringify(exporter)}.`,
    );
  }
  if (lookup(env, 'OTEL_SDK_DISABLED')?.trim().toLowerCase() === 'true' || exporter === 'none') return undefined;
  const metricsEndpoint = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'));
  const endpoint = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'));
  const asked = file?.metrics ?? file?.enabled ?? (exporter === 'otlp' || metricsEndpoint !== undefined || endpoint !== undefined);
  if (!asked) return undefined;

  const protocol = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL')) ?? nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')) ?? file?.protocol ?? 'http/protobuf';
  if (!PROTOCOLS.has(protocol)) {
    throw new BastionError('CONFIG_INVALID', `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: Bastion sends metrics over OTLP/HTTP; set "http/protobuf" or "http/json", got ${JSON.stringify(protocol)}.`);
  }
  const metricsUrl = metricsEndpoint ?? signalUrl(endpoint ?? file?.endpoint ?? 'http://localhost:4318', 'metrics');
  checkUrl(metricsUrl);
  const interval = nonEmpty(lookup(env, 'OTEL_METRIC_EXPORT_INTERVAL'));
  if (interval !== undefined && !/^[1-9]\d{0,8}$/.test(interval)) {
    throw new BastionError('CONFIG_INVALID', `OTEL_METRIC_EXPORT_INTERVAL: expected a whole number of milliseconds, got ${JSON.stringify(interval.slice(0, 40))}.`);
  }
  return {
    metricsUrl,
    protocol: protocol as MetricsExportSettings['protocol'],
    serviceName: nonEmpty(lookup(env, 'OTEL_SERVICE_NAME')) ?? file?.service_name ?? 'bastion',
    intervalMs: interval !== undefined ? Number(interval) : (file?.metric_export_interval_ms ?? DEFAULT_METRIC_INTERVAL_MS),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The standard rule: a base endpoint gets the signal's path appended. */
function signalUrl(base: string, signal: 'traces' | 'metrics'): string {
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

function checkUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new BastionError('CONFIG_INVALID', 'OTEL_EXPORTER_OTLP_ENDPOINT / telemetry.endpoint: expected an http:// or https:// URL, e.g. http://127.0.0.1:4318.');
  }
}
