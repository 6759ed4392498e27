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
 * approval records what became of it. Each (approval, decision) is recorded once.
 */
export function watchApprovals(store: ApprovalStore, audit: AuditTrail, log: Logger, options: { intervalMs?: number; now?: () => Date } = {}): { stop(): Promise<void>; poll(): Promise<void> } {
  const now = options.now ?? (() => new Date());
  const seen = new Map<string, string>();
  let running: Promise<void> | null = null;

  type Decision = 'approved' | 'denied' | 'expired';
  const record = async (approval: Approval, decision: Decision): Promise<void> => {
    const byPerson = decision !== 'expired' && approval.decidedBy !== undefined;
    await audit.record({
      principal: byPerson ? { id: approval.decidedBy ?? 'unknown', kind: 'human', role: 'approver' } : { id: 'bastion', kind: 'system', role: 'system' },
      correlation_id: newCorrelationId(),
      tool: approval.tool,
      source: approval.source,
      decision: decision === 'approved' ? 'allow' : decision === 'denied' ? 'deny' : 'none',
      reason: `APPROVAL_${decision.toUpperCase()}`,
      outcome: 'decided',
      approval: { state: decision, id: approval.id, ...(byPerson ? { by: approval.decidedBy } : {}) },
    });
  };

  /** What became of an approval: a person's decision (approved, then maybe used), and an expiry. */
  const decisionsOf = (approval: Approval): Decision[] => {
    if (approval.status === 'denied') return ['denied'];
    if (approval.status === 'approved' || approval.status === 'used') return ['approved'];
    // Expired: approved first (and never used), or never decided.
    return approval.decidedBy !== undefined ? ['approved', 'expired'] : ['expired'];
  };

  const poll = async (): Promise<void> => {
    const since = new Date(now().getTime() - LOOKBACK_MS).toISOString();
    const changes = await store.changesSince(audit.instance || 'bastion', since);
    for (const approval of changes) {
      for (const decision of decisionsOf(approval)) {
        if (seen.get(approval.id)?.includes(`|${decision}|`)) continue;
        await record(approval, decision);
        seen.set(approval.id, `${seen.get(approval.id) ?? '|'}${decision}|`);
      }
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
