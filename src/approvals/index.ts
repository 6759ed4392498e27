import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { FileApprovalStore } from './file-store.js';
import type { ApprovalStore } from './store.js';

export { hashParams, hashStatement, APPROVAL_ID_PATTERN } from './store.js';
export type { Approval, ApprovalBinding, ApprovalStatus, ApprovalStore, ApprovalStoreOptions, ApprovalTool, ConsumeResult, NewApproval } from './store.js';
export { FileApprovalStore, APPROVALS_FILE } from './file-store.js';

/**
 * The configured store: the PostgreSQL table when `state.url` is set (replicas share
 * approvals), otherwise `<state.dir>/approvals.json`. The pg driver loads only in the
 * first case. `now` is for tests.
 */
export async function openApprovalStore(config: BastionConfig, log?: Logger, options: { now?: () => Date } = {}): Promise<ApprovalStore> {
  if (config.state.url !== undefined) {
    const { PostgresApprovalStore } = await import('./pg-store.js');
    return PostgresApprovalStore.open(config.state.url, { log, now: options.now });
  }
  return FileApprovalStore.open(config.state.dir, { log, now: options.now });
}
