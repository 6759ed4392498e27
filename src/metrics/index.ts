import type { BastionConfig } from '../config/schema.js';
import { NO_METRICS, type Metrics } from './metrics.js';

export { NO_METRICS, teeMetrics, toolLabel, type CallOutcome, type HttpRefusalReason, type Metrics, type PooledSource } from './metrics.js';

/** The metrics of a configuration; prom-client is loaded only when they are enabled. */
export async function openMetrics(config: BastionConfig): Promise<Metrics> {
  if (!config.metrics.enabled) return NO_METRICS;
  const { PrometheusMetrics } = await import('./prometheus.js');
  return new PrometheusMetrics();
}
