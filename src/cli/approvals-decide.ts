import { hashStatement, type Approval, type ApprovalStore } from '../approvals/index.js';
import { defaultInstance, openAuditTrail, type AuditTrail } from '../audit/trail.js';
import type { BastionConfig } from '../config/schema.js';
import { newCorrelationId } from '../errors/correlation.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';

export type Decision = 'approved' | 'denied';

/**
 * The audit chain of one `bastion approvals` run: a chain of its own (`cli-<host>-<pid>-<random>`),
 * never a server's, so a decision is recorded at the moment it is made whether or not the
 * server that asked for it still runs. The record is fdatasync'd before the decision is
 * taken (one record: the cost is nothing next to a person's time). Unwritable: the
 * decision is refused, and the approval stays as it was.
 */
export async function openDecisionAudit(config: BastionConfig, log: Logger): Promise<AuditTrail> {
  const durable: BastionConfig = { ...config, audit: { ...config.audit, durability: 'fsync' } };
  try {
    return await openAuditTrail(durable, log, { instance: `cli-${defaultInstance()}` });
  } catch (error) {
    throw unaudited(error);
  }
}

/**
 * Records the decision, then takes it. This order never leaves a decision unaudited:
 * if the record cannot be written nothing is decided; if the store then refuses (a race
 * with another person, the approval expired meanwhile) a second record says the decision
 * was not taken. A crash between the two leaves a record of a decision the store does
 * not hold: an audited non-decision, the safe side (the store is what a server obeys).
 */
export async function decideAudited(audit: AuditTrail, store: ApprovalStore, approval: Approval, decision: Decision, by: string): Promise<Approval> {
  const principal = { id: by, kind: 'human', role: 'approver' } as const;
  const about = { tool: approval.tool, source: approval.source };
  const named = { id: approval.id, by, for: approval.principal, statement_sha256: hashStatement(approval.statement) };
  try {
    await audit.record({
      principal,
      correlation_id: newCorrelationId(),
      ...about,
      decision: decision === 'approved' ? 'allow' : 'deny',
      reason: decision === 'approved' ? 'APPROVAL_APPROVED' : 'APPROVAL_DENIED',
      outcome: 'decided',
      approval: { state: decision, ...named },
    });
  } catch (error) {
    throw unaudited(error);
  }
  try {
    return await store.decide(approval.id, decision, by);
  } catch (error) {
    await audit
      .record({
        principal,
        correlation_id: newCorrelationId(),
        ...about,
        decision: 'none',
        reason: 'APPROVAL_NOT_DECIDED',
        outcome: 'error',
        approval: { state: 'refused', ...named, reason: 'STORE_REFUSED' },
      })
      .catch(() => undefined);
    throw error;
  }
}

function unaudited(error: unknown): BastionError {
  const why = error instanceof Error ? error.message.replace(/^audit: /, '') : String(error);
  return new BastionError('AUDIT_UNAVAILABLE', `Nothing was decided: the decision could not be written to the audit trail (${why}).`, error);
}
