/**
 * OpenTelemetry traces, behind an interface of Bastion's own: the pipeline stages see
 * only these types, and the SDK (tracer.ts) is imported only when traces are on. Off,
 * a call pays one check of `ctx.tracer` and nothing else.
 */
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { CallSpan, CallStage, CallTracer } from './types.js';

export type { CallEnding, CallRequest, CallSpan, CallStage, CallTracer, StatementCounts, StatementFacts } from './types.js';

/** The tracer of a configuration; the OpenTelemetry SDK is loaded only when traces are on. */
export async function openTracer(config: BastionConfig, version: string, log: Logger): Promise<CallTracer | undefined> {
  if (config.tracing === undefined) return undefined;
  const { startTracer } = await import('./tracer.js');
  return startTracer(config.tracing, version, log);
}

/** `work` in the stage's span when the call is traced; otherwise just `work`. */
export function inStage<T>(span: CallSpan | undefined, stage: CallStage, work: () => Promise<T>): Promise<T> {
  return span === undefined ? work() : span.stage(stage, work);
}
