import { newCorrelationId } from '../../errors/correlation.js';
import type { ServerContext } from '../../session/context.js';
import type { AuthFailure } from './auth-stage.js';

/**
 * What a failed authentication leaves behind: always a count in the metrics; within
 * the address's allowance a log line and a deny record in the audit; past it, only one
 * warning when the block starts, so the log and the audit keep at most
 * auth_failures_per_minute records a minute per address.
 */
export function reportAuthFailures(ctx: ServerContext): (failure: AuthFailure) => Promise<void> {
  const { config, log } = ctx;
  return async ({ address, error, throttled, repeated }) => {
    ctx.metrics.recordAuthFailure(error.code);
    if (throttled) {
      if (!repeated) {
        log.warn({ address, limit: config.rate_limits.auth_failures_per_minute }, 'failed authentications from this address are throttled (429) until the minute is over; valid credentials are still served');
      }
      return;
    }
    const correlationId = newCorrelationId();
    log.info({ code: error.code, reason: error.detail, address, correlationId }, 'authentication failed');
    // The refusal goes out whatever happens here; a record that could not be kept is logged.
    await ctx.audit
      .record({
        principal: { id: 'unknown', kind: 'unauthenticated', role: 'none' },
        correlation_id: correlationId,
        client: address,
        decision: 'deny',
        reason: error.code,
        outcome: 'auth_failed',
      })
      .catch((err: unknown) => log.error({ err, correlationId }, 'audit: the failed authentication could not be recorded'));
  };
}
