import { z } from 'zod';
import { BastionError } from '../errors/codes.js';
import { lookup, type Environment } from './env-file.js';

/**
 * OpenTelemetry traces (bastion.yaml `telemetry:`). Unset `enabled` follows the standard
 * variables: on when OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_TRACES_EXPORTER=otlp is set. Headers (a collector's token) come only from
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
  const tracesUrl = tracesEndpoint ?? signalUrl(endpoint ?? file?.endpoint ?? 'http://localhost:4318');
  checkUrl(tracesUrl);
  const sampler = nonEmpty(lookup(env, 'OTEL_TRACES_SAMPLER'));
  return {
    tracesUrl,
    protocol: protocol as TelemetrySettings['protocol'],
    serviceName: nonEmpty(lookup(env, 'OTEL_SERVICE_NAME')) ?? file?.service_name ?? 'bastion',
    sampleRatio: sampler === undefined ? file?.sample_ratio : undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The standard rule: a base endpoint gets the signal's path appended. */
function signalUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
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
