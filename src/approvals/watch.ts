import type { AuditTrail } from '../audit/trail.js';
import { newCorrelationId } from '../errors/correlation.js';
import type { Logger } from '../log/logger.js';
import type { Approval, ApprovalStore } from './store.js';

/** How often the server looks for decisions made with `bastion approvals`. */
export const WATCH_INTERVAL_MS = 2000;
/** Each poll looks back this far, for clock skew between the CLI's host and this one. */
const LOOKBACK_MS = 60_000;

/**
 * Puts the decisions people make with `bastion approvals approve|deny` (and the
 * expiry of approvals nobody decided) into this server's audit trail: the CLI does
 * not write the server's log (one writer per log), so the server that created an
 * approval records what became of it. Each (approval, status) is recorded once.
 */
export function watchApprovals(store: ApprovalStore, audit: AuditTrail, log: Logger, options: { intervalMs?: number; now?: () => Date } = {}): { stop(): Promise<void>; poll(): Promise<void> } {
  const now = options.now ?? (() => new Date());
  const seen = new Map<string, string>();
  let running: Promise<void> | null = null;

  const record = async (approval: Approval): Promise<void> => {
    const human = approval.status === 'approved' || approval.status === 'denied' || approval.decidedBy !== undefined;
    await audit.record({
      principal: human && approval.decidedBy !== undefined ? { id: approval.decidedBy, kind: 'human', role: 'approver' } : { id: 'bastion', kind: 'system', role: 'system' },
      correlation_id: newCorrelationId(),
      tool: approval.tool,
      source: approval.source,
      decision: approval.status === 'approved' ? 'allow' : approval.status === 'denied' ? 'deny' : 'none',
      reason: `APPROVAL_${approval.status.toUpperCase()}`,
      outcome: 'decided',
      approval: { state: approval.status === 'approved' ? 'approved' : approval.status === 'denied' ? 'denied' : approval.status === 'used' ? 'used' : 'expired', id: approval.id, ...(approval.decidedBy !== undefined ? { by: approval.decidedBy } : {}) },
    });
  };

  const poll = async (): Promise<void> => {
    const since = new Date(now().getTime() - LOOKBACK_MS).toISOString();
    const changes = await store.changesSince(audit.instance || 'bastion', since);
    for (const approval of changes) {
      if (seen.get(approval.id)?.includes(`|${approval.status}|`)) continue;
      await record(approval);
      seen.set(approval.id, `${seen.get(approval.id) ?? '|'}${approval.status}|`);
    }
    if (seen.size > 10_000) for (const id of [...seen.keys()].slice(0, seen.size - 5_000)) seen.delete(id);
  };

  const timer = setInterval(() => {
    running ??= poll()
      .catch((err: unknown) => log.error({ err }, 'approvals: could not audit decisions made with the CLI; retrying'))
      .finally(() => {
        running = null;
      });
  }, options.intervalMs ?? WATCH_INTERVAL_MS);
  timer.unref();
  return {
    poll,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
