import { setGlobalErrorHandler } from '@opentelemetry/core';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';

/** How often at most a failed export is logged: a collector that is down must not flood stderr. */
const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * The SDK reports a failed export (collector down, refused, timed out) of spans or metrics
 * to its global error handler, silent by default: here it becomes a warning, at most one a
 * minute, redacted. One handler for the process, whichever signal installs it.
 */
export function reportExportFailures(log: Logger): void {
  let last = Number.NEGATIVE_INFINITY;
  setGlobalErrorHandler((error: unknown) => {
    const now = Date.now();
    if (now - last < EXPORT_FAILURE_LOG_INTERVAL_MS) return;
    last = now;
    const message = redactText(error instanceof Error ? error.message : String(error)).slice(0, 300);
    log.warn({ err: message }, 'telemetry: spans or metrics could not be exported (further failures within a minute are not logged)');
  });
}
