import type { AuditPrincipalKind } from '../audit/record.js';
import type { AuditTrail } from '../audit/trail.js';
import { newCorrelationId } from '../errors/correlation.js';
import { BastionError } from '../errors/codes.js';
import { redactText } from '../log/redact.js';
import { hashStatement, type Approval, type ApprovalStore } from './store.js';

export type Decision = 'approved' | 'denied';

/** Who decides: a person at the CLI (`user@host`), or a console principal. */
export interface Decider {
  readonly id: string;
  readonly kind: AuditPrincipalKind;
  readonly role: string;
  /** The decider's role has `approval.allow_self: true`: it may approve a request it made itself. */
  readonly allowSelf?: boolean;
  /** A reason the person gave (the console's optional field); redacted and cut to 500 characters in the audit. */
  readonly comment?: string;
}

const MAX_COMMENT = 500;

/**
 * Records the decision, then takes it. This order never leaves a decision unaudited:
 * if the record cannot be written nothing is decided; if the store then refuses (a race
 * with another person, the approval expired meanwhile) a second record says the decision
 * was not taken. A crash between the two leaves a record of a decision the store does
 * not hold: an audited non-decision, the safe side (the store is what a server obeys).
 *
 * Four eyes, for every path that decides (the CLI and the console): a principal never
 * approves a request it made itself unless its role allows it, and the record then says
 * `self: true`. The refusal is audited too. Denying one's own request withdraws it and
 * is allowed.
 */
export async function decideAudited(audit: AuditTrail, store: ApprovalStore, approval: Approval, decision: Decision, by: string | Decider): Promise<Approval> {
  const decider: Decider = typeof by === 'string' ? { id: by, kind: 'human', role: 'approver' } : by;
  const principal = { id: decider.id, kind: decider.kind, role: decider.role };
  const about = { tool: approval.tool, source: approval.source };
  const self = decider.id === approval.principal;
  const comment = decider.comment === undefined || decider.comment === '' ? undefined : redactText(decider.comment.slice(0, MAX_COMMENT));
  const named = {
    id: approval.id,
    by: decider.id,
    for: approval.principal,
    statement_sha256: hashStatement(approval.statement),
    ...(self ? { self: true } : {}),
    ...(comment === undefined ? {} : { comment }),
  };
  if (self && decision === 'approved' && decider.allowSelf !== true) {
    try {
      await audit.record({
        principal,
        correlation_id: newCorrelationId(),
        ...about,
        decision: 'deny',
        reason: 'APPROVAL_SELF',
        outcome: 'denied',
        approval: { state: 'refused', ...named, reason: 'SELF' },
      });
    } catch (error) {
      throw unaudited(error);
    }
    throw new BastionError('DENIED_BY_POLICY', `Not approved: ${approval.id} was requested by you (${decider.id}); another person must approve it (four eyes).`);
  }
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
    return await store.decide(approval.id, decision, decider.id);
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

/** Nothing was decided, because the record of the decision could not be written. */
export function unaudited(error: unknown): BastionError {
  const why = error instanceof Error ? error.message.replace(/^audit: /, '') : String(error);
  return new BastionError('AUDIT_UNAVAILABLE', `Nothing was decided: the decision could not be written to the audit trail (${why}).`, error);
}
