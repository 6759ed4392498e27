import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';

export type OnStoreError = 'deny' | 'allow';

/**
 * What happens when the counter store cannot answer. 'deny' refuses the call
 * (fail closed), 'allow' lets it through unlimited. Either way the outage is
 * logged once when it starts and once when it ends, never per call.
 */
export class StoreOutage {
  private down = false;

  constructor(
    private readonly policy: OnStoreError,
    private readonly log: Logger,
    private readonly describe: (cause: unknown) => Record<string, unknown>,
  ) {}

  /** The store answered: ends an outage if one was under way. */
  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info('rate-limit store reachable again; limits apply');
  }

  /** The store failed: throws LIMITER_UNAVAILABLE under 'deny', returns under 'allow'. */
  failed(cause: unknown): void {
    if (!this.down) {
      this.down = true;
      const effect = this.policy === 'deny' ? 'calls are refused until it is back' : 'calls are let through without limits until it is back';
      this.log.warn({ ...this.describe(cause), on_store_error: this.policy }, `rate-limit store unreachable; ${effect}`);
    }
    // The detail reaches the log line of each refused call: keep it to the summary.
    if (this.policy === 'deny') throw new BastionError('LIMITER_UNAVAILABLE', undefined, this.describe(cause));
  }
}
