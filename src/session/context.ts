import type { ApprovalStore } from '../approvals/index.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Role } from '../authorize/roles.js';
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/index.js';
import type { RateLimiter } from '../ratelimit/index.js';
import type { SourceRegistry } from '../engine/registry.js';

/** What every session's tools share: built once at start-up, read-only afterwards. */
export interface ServerContext {
  readonly config: BastionConfig;
  readonly sources: SourceRegistry;
  readonly log: Logger;
  readonly version: string;
  /** Built-in and configured roles, compiled once. */
  readonly roles: ReadonlyMap<string, Role>;
  /** Per principal, tool and source; memory or Redis. */
  readonly limiter: RateLimiter;
  /** One tamper-evident record per call and failed authentication. */
  readonly audit: AuditTrail;
  /** Open only when some source has writes enabled. */
  readonly approvals?: ApprovalStore | undefined;
  /** Audits decisions people make with `bastion approvals` (see approvals/watch.ts). */
  readonly approvalWatch?: { stop(): Promise<void> } | undefined;
  /** Prometheus counters and histograms; no-ops unless metrics.enabled. */
  readonly metrics: Metrics;
}

export type { Principal } from '../auth/identity/principal.js';
