import type { AuditTrail } from '../audit/trail.js';
import { newCorrelationId } from '../errors/correlation.js';
import type { Logger } from '../log/logger.js';
import type { Approval, ApprovalStore } from './store.js';

/** How often the server looks for approvals of its own that expired. */
export const WATCH_INTERVAL_MS = 2000;
/** Each poll looks back this far, for clock skew between the hosts of replicas sharing a store. */
const LOOKBACK_MS = 60_000;

/**
 * Puts the expiry of this server's approvals into its audit trail: an approval that
 * expires undecided or approved-but-unused is recorded by the server that asked for
 * it (it owns the request's record and knows the approval). A person's decision is not
 * recorded here: `bastion approvals` writes it in a chain of its own before taking it.
 * Each expiry is recorded once.
 */
export function watchApprovals(store: ApprovalStore, audit: AuditTrail, log: Logger, options: { intervalMs?: number; now?: () => Date } = {}): { stop(): Promise<void>; poll(): Promise<void> } {
  const now = options.now ?? (() => new Date());
  const seen = new Set<string>();
  let running: Promise<void> | null = null;

  const recordExpiry = async (approval: Approval): Promise<void> => {
    await audit.record({
      principal: { id: 'bastion', kind: 'system', role: 'system' },
      correlation_id: newCorrelationId(),
      tool: approval.tool,
      source: approval.source,
      decision: 'none',
      reason: 'APPROVAL_EXPIRED',
      outcome: 'decided',
      approval: { state: 'expired', id: approval.id, ...(approval.decidedBy === undefined ? {} : { by: approval.decidedBy }) },
    });
  };

  const poll = async (): Promise<void> => {
    const since = new Date(now().getTime() - LOOKBACK_MS).toISOString();
    const changes = await store.changesSince(audit.instance || 'bastion', since);
    for (const approval of changes) {
      if (approval.status !== 'expired' || seen.has(approval.id)) continue;
      await recordExpiry(approval);
      seen.add(approval.id);
    }
    if (seen.size > 10_000) for (const id of [...seen].slice(0, seen.size - 5_000)) seen.delete(id);
  };

  const timer = setInterval(() => {
    running ??= poll()
      .catch((err: unknown) => log.error({ err }, 'approvals: could not audit the expiry of an approval; retrying'))
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
