/**
 * OpenTelemetry traces and metrics, behind an interface of Bastion's own: the pipeline stages see
 * only these types, and the SDK (tracer.ts, meter.ts) is imported only when that signal is on. Off,
 * a call pays one check of `ctx.tracer` and nothing else.
 */
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { CallSpan, CallStage, CallTracer, RequestMeter } from './types.js';

export type { CallEnding, CallRequest, CallSpan, CallStage, CallTracer, OperationFacts, RequestMeter, RequestSpan, StatementCounts, StatementFacts } from './types.js';

/** The tracer of a configuration; the OpenTelemetry SDK is loaded only when traces are on. */
export async function openTracer(config: BastionConfig, version: string, log: Logger): Promise<CallTracer | undefined> {
  if (config.tracing === undefined) return undefined;
  const { startTracer } = await import('./tracer.js');
  return startTracer(config.tracing, version, log);
}

/** OpenTelemetry metrics over OTLP; the SDK is loaded only when they are on. */
export async function openMeter(config: BastionConfig, version: string, log: Logger): Promise<RequestMeter | undefined> {
  if (config.metricsExport === undefined) return undefined;
  const { startMeter } = await import('./meter.js');
  return startMeter(config.metricsExport, version, log);
}

/** `work` in the stage's span when the call is traced; otherwise just `work`. */
export function inStage<T>(span: CallSpan | undefined, stage: CallStage, work: () => Promise<T>): Promise<T> {
  return span === undefined ? work() : span.stage(stage, work);
}
