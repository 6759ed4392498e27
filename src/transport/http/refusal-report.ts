import type { Principal } from '../../auth/identity/principal.js';
import type { HttpRefusalReason } from '../../metrics/index.js';
import type { ServerContext } from '../../session/context.js';
import { printableTool } from '../../tools/run.js';

/** An authenticated request the HTTP layer refused before any tool ran. */
export interface HttpRefusal {
  readonly principal: Principal;
  readonly reason: HttpRefusalReason;
  readonly correlationId: string;
  /** The called tool, for a missing scope; bounded before it reaches a record or a label. */
  readonly tool?: string | undefined;
  /** The session the request named, if any. */
  readonly session?: string | undefined;
}

/** The audit reason (a closed code) of each refusal. */
const CODES: Readonly<Record<HttpRefusalReason, string>> = {
  insufficient_scope: 'AUTH_INSUFFICIENT_SCOPE',
  session_limit: 'SESSION_LIMIT',
  sessions_full: 'SESSION_LIMIT',
  session_rate_limited: 'RATE_LIMITED',
  request_rate_limited: 'RATE_LIMITED',
  limiter_unavailable: 'LIMITER_UNAVAILABLE',
};

/**
 * What a refusal leaves behind: a count by reason in the metrics, a log line, and a deny
 * record in the audit naming the principal, the tool and the reason. The refusal is sent
 * after this, whatever happens here; a record that could not be kept is logged.
 */
export function reportRefusals(ctx: ServerContext): (refusal: HttpRefusal) => Promise<void> {
  const { log } = ctx;
  return async ({ principal, reason, correlationId, tool, session }) => {
    const printable = tool === undefined ? undefined : printableTool(tool);
    ctx.metrics.recordHttpRefusal(reason, printable);
    const code = CODES[reason];
    log.info({ code, refusal: reason, principal: principal.id, tool: printable, correlationId }, 'request refused');
    await ctx.audit
      .record({
        principal: { id: principal.id, kind: principal.kind, role: principal.role },
        session,
        correlation_id: correlationId,
        tool: printable,
        decision: 'deny',
        reason: code,
        outcome: code === 'RATE_LIMITED' ? 'rate_limited' : 'denied',
      })
      .catch((err: unknown) => log.error({ err, correlationId }, 'audit: the refused request could not be recorded'));
  };
}

/** An idle session closed to make room: counted and logged, not audited (nothing was refused). */
export function reportReclaims(ctx: ServerContext): (owner: Principal, sessionId: string) => void {
  return (owner, sessionId) => {
    ctx.metrics.recordSessionReclaimed();
    ctx.log.info({ principal: owner.id, session: sessionId }, 'idle session closed to make room for a new one');
  };
}
