/**
 * Traces are on only when the configuration or the standard OTEL_* variables ask for
 * them; the kill switches win; a setting Bastion cannot honour stops the start, naming it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { resolveMetricsExport, resolveTelemetry } from '../../src/config/telemetry.js';
import { BastionError } from '../../src/errors/codes.js';

const user = { platform: 'linux' as const, homedir: '/home/ada' };

function loadWith(yaml: string, env: Record<string, string> = {}): ReturnType<typeof loadConfig>['config'] {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-telemetry-'));
  writeFileSync(join(dir, 'bastion.yaml'), `sources:\n  main:\n    engine: sqlite\n    path: ./x.db\n${yaml}`);
  return loadConfig({ configPath: join(dir, 'bastion.yaml'), env: { BASTION_STATE_DIR: dir, ...env }, user }).config;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof BastionError && error.code === 'CONFIG_INVALID') return error.message;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('telemetry settings', () => {
  it('neither telemetry: nor an OTEL_* variable: traces are off', () => {
    expect(loadWith('').tracing).toBeUndefined();
    expect(resolveTelemetry(undefined, { OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT turns traces on, posting to its /v1/traces with protobuf by default', () => {
    expect(resolveTelemetry(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'bastion',
      sampleRatio: undefined,
    });
  });

  it('the signal endpoint is used as it is, and the variables win over the file', () => {
    const file = { enabled: true, endpoint: 'http://file:4318', protocol: 'http/protobuf' as const, service_name: 'from-file' };
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://env:4318/custom', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'from-env' };
    expect(resolveTelemetry(file, env)).toMatchObject({ tracesUrl: 'https://env:4318/custom', protocol: 'http/json', serviceName: 'from-env' });
  });

  it('telemetry: enabled in bastion.yaml, with its endpoint, protocol, name and sample ratio', () => {
    const config = loadWith('telemetry:\n  enabled: true\n  endpoint: http://127.0.0.1:4318\n  protocol: http/json\n  service_name: bastion-eu\n  sample_ratio: 0.25\n');
    expect(config.tracing).toEqual({ tracesUrl: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/json', serviceName: 'bastion-eu', sampleRatio: 0.25 });
  });

  it('OTEL_TRACES_SAMPLER takes over from sample_ratio', () => {
    expect(resolveTelemetry({ enabled: true, sample_ratio: 0.5 }, { OTEL_TRACES_SAMPLER: 'always_on' })?.sampleRatio).toBeUndefined();
  });

  it('OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn traces off whatever the file says; enabled: false wins over an endpoint', () => {
    expect(resolveTelemetry({ enabled: true }, { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(resolveTelemetry({ enabled: true }, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBeUndefined();
    expect(resolveTelemetry({ enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBeUndefined();
  });

  it('an exporter, protocol or endpoint Bastion cannot honour stops the start, naming the setting (and never echoing the URL)', () => {
    expect(refusal(() => resolveTelemetry(undefined, { OTEL_TRACES_EXPORTER: 'zipkin' }))).toMatch(/OTEL_TRACES_EXPORTER.*"otlp" or "none"/);
    expect(refusal(() => resolveTelemetry(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }))).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL.*http\/protobuf/);
    const message = refusal(() => resolveTelemetry(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:hunter2@c/' }));
    expect(message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(message).not.toContain('hunter2');
  });

  it('a misspelt key under telemetry: stops the start', () => {
    expect(refusal(() => loadWith('telemetry:\n  enabeld: true\n'))).toMatch(/telemetry: unknown key 'enabeld'/);
    expect(refusal(() => loadWith('telemetry:\n  sample_ratio: 2\n'))).toMatch(/telemetry\.sample_ratio/);
  });
});

describe('OTLP metrics settings', () => {
  it('off without telemetry: or an OTEL_* variable; a traces-only endpoint does not turn them on', () => {
    expect(loadWith('').metricsExport).toBeUndefined();
    expect(resolveMetricsExport(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBeUndefined();
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT turns them on: its /v1/metrics, protobuf, every 60 s by default', () => {
    expect(resolveMetricsExport(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      metricsUrl: 'http://collector:4318/v1/metrics',
      protocol: 'http/protobuf',
      serviceName: 'bastion',
      intervalMs: 60_000,
    });
  });

  it('the metrics variables win over the shared ones and over the file', () => {
    const file = { enabled: true, endpoint: 'http://file:4318', protocol: 'http/protobuf' as const, metric_export_interval_ms: 5000 };
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://shared:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://env:4318/m',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '250',
    };
    expect(resolveMetricsExport(file, env)).toMatchObject({ metricsUrl: 'https://env:4318/m', protocol: 'http/json', intervalMs: 250 });
    expect(resolveMetricsExport(file, {})).toMatchObject({ metricsUrl: 'http://file:4318/v1/metrics', protocol: 'http/protobuf', intervalMs: 5000 });
  });

  it('telemetry.metrics: false keeps traces without metrics; OTEL_METRICS_EXPORTER=none and OTEL_SDK_DISABLED turn them off', () => {
    const config = loadWith('telemetry:\n  enabled: true\n  metrics: false\n');
    expect(config.tracing).toBeDefined();
    expect(config.metricsExport).toBeUndefined();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(resolveMetricsExport(undefined, { ...env, OTEL_METRICS_EXPORTER: 'none' })).toBeUndefined();
    expect(resolveTelemetry(undefined, { ...env, OTEL_METRICS_EXPORTER: 'none' })).toBeDefined();
    expect(resolveMetricsExport({ enabled: true }, { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('an exporter, protocol or interval Bastion cannot honour stops the start, naming the variable', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(refusal(() => resolveMetricsExport(undefined, { ...env, OTEL_METRICS_EXPORTER: 'prometheus' }))).toContain('OTEL_METRICS_EXPORTER');
    expect(refusal(() => resolveMetricsExport(undefined, { ...env, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' }))).toContain('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL');
    expect(refusal(() => resolveMetricsExport(undefined, { ...env, OTEL_METRIC_EXPORT_INTERVAL: '10s' }))).toContain('OTEL_METRIC_EXPORT_INTERVAL');
    expect(refusal(() => resolveMetricsExport(undefined, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'ftp://collector' }))).toContain('http://');
  });
});
