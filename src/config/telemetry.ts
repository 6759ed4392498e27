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
  const traces = otlpSignal('traces', file?.enabled, file, env);
  if (traces === undefined) return undefined;
  const sampler = nonEmpty(lookup(env, 'OTEL_TRACES_SAMPLER'));
  return { tracesUrl: traces.url, protocol: traces.protocol, serviceName: traces.serviceName, sampleRatio: sampler === undefined ? file?.sample_ratio : undefined };
}

/**
 * The OTLP metrics settings, or undefined when metrics over OTLP are off; the rules of
 * resolveTelemetry, with the metrics variables: OTEL_METRICS_EXPORTER=none turns them off,
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / _PROTOCOL win over the shared ones, and
 * OTEL_METRIC_EXPORT_INTERVAL sets the interval. Prometheus (`metrics:`) is separate.
 */
export function resolveMetricsExport(file: TelemetryConfig | undefined, env: Environment): MetricsExportSettings | undefined {
  const metrics = otlpSignal('metrics', file?.metrics ?? file?.enabled, file, env);
  if (metrics === undefined) return undefined;
  const interval = nonEmpty(lookup(env, 'OTEL_METRIC_EXPORT_INTERVAL'));
  if (interval !== undefined && !/^[1-9]\d{0,8}$/.test(interval)) {
    throw new BastionError('CONFIG_INVALID', `OTEL_METRIC_EXPORT_INTERVAL: expected a whole number of milliseconds, got ${JSON.stringify(interval.slice(0, 40))}.`);
  }
  return {
    metricsUrl: metrics.url,
    protocol: metrics.protocol,
    serviceName: metrics.serviceName,
    intervalMs: interval !== undefined ? Number(interval) : (file?.metric_export_interval_ms ?? DEFAULT_METRIC_INTERVAL_MS),
  };
}

/** What a signal exports with: the OTLP/HTTP URL, its encoding and the service name. */
interface OtlpSignal {
  readonly url: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly serviceName: string;
}

/** How a refused OTEL_<SIGNAL>_EXPORTER is explained. */
const EXPORTS: Readonly<Record<'traces' | 'metrics', string>> = {
  traces: 'traces over OTLP only',
  metrics: 'OpenTelemetry metrics over OTLP only (Prometheus is metrics.enabled in bastion.yaml)',
};

/**
 * The rules both signals follow: OTEL_<SIGNAL>_EXPORTER is otlp or none; OTEL_SDK_DISABLED=true
 * or the exporter none turns the signal off; `fileEnabled` (the file's switch) decides, else the
 * signal is on when its exporter is otlp or an endpoint variable is set; the signal's own
 * endpoint and protocol variables win over the shared ones, which win over the file.
 */
function otlpSignal(signal: 'traces' | 'metrics', fileEnabled: boolean | undefined, file: TelemetryConfig | undefined, env: Environment): OtlpSignal | undefined {
  const upper = signal.toUpperCase();
  const exporterVariable = `OTEL_${upper}_EXPORTER`;
  const exporter = lookup(env, exporterVariable)?.trim().toLowerCase();
  if (exporter !== undefined && exporter !== '' && exporter !== 'otlp' && exporter !== 'none') {
    throw new BastionError('CONFIG_INVALID', `${exporterVariable}: Bastion exports ${EXPORTS[signal]}; set it to "otlp" or "none", got ${JSON.stringify(exporter)}.`);
  }
  if (lookup(env, 'OTEL_SDK_DISABLED')?.trim().toLowerCase() === 'true' || exporter === 'none') return undefined;
  const signalEndpoint = nonEmpty(lookup(env, `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`));
  const endpoint = nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'));
  if (!(fileEnabled ?? (exporter === 'otlp' || signalEndpoint !== undefined || endpoint !== undefined))) return undefined;

  const signalProtocol = nonEmpty(lookup(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`));
  const protocol = signalProtocol ?? nonEmpty(lookup(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')) ?? file?.protocol ?? 'http/protobuf';
  if (!PROTOCOLS.has(protocol)) {
    const variable = signalProtocol !== undefined ? `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL` : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    throw new BastionError('CONFIG_INVALID', `${variable}: Bastion sends ${signal} over OTLP/HTTP; set "http/protobuf" or "http/json", got ${JSON.stringify(protocol)}.`);
  }
  const url = signalEndpoint ?? signalUrl(endpoint ?? file?.endpoint ?? 'http://localhost:4318', signal);
  checkUrl(url);
  return { url, protocol: protocol as OtlpSignal['protocol'], serviceName: nonEmpty(lookup(env, 'OTEL_SERVICE_NAME')) ?? file?.service_name ?? 'bastion' };
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
