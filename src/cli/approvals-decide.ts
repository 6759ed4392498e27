import { unaudited } from '../approvals/decide.js';
import { defaultInstance, openAuditTrail, type AuditTrail } from '../audit/trail.js';
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';

export { decideAudited, type Decider, type Decision } from '../approvals/decide.js';

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
