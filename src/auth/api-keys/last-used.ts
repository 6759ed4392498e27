import type { Logger } from '../../log/logger.js';

export interface LastUsedBufferOptions {
  /** Writes a batch of id → last use; the store's own query or file update. */
  write: (batch: ReadonlyMap<string, Date>) => Promise<void>;
  log: Logger;
  /** A key's last use is written at most this often (default one minute). */
  minIntervalMs?: number;
  /** Uses noted within this window go out together in one write (default 1 s). */
  flushDelayMs?: number;
}

/**
 * Collects last-used times off the verification path. A busy key costs one write a
 * minute, not one per request, and a failed write only costs a log line: last-used is
 * informational and must never make authentication fail.
 */
export class LastUsedBuffer {
  private readonly pending = new Map<string, Date>();
  private readonly lastNoted = new Map<string, number>();
  private readonly minIntervalMs: number;
  private readonly flushDelayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly options: LastUsedBufferOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 60_000;
    this.flushDelayMs = options.flushDelayMs ?? 1_000;
  }

  note(id: string, when: Date): void {
    const previous = this.lastNoted.get(id);
    if (previous !== undefined && when.getTime() - previous < this.minIntervalMs) return;
    this.lastNoted.set(id, when.getTime());
    this.pending.set(id, when);
    this.timer ??= setTimeout(() => void this.flush(), this.flushDelayMs).unref();
  }

  /** Writes whatever is pending; resolves once it and any earlier write have finished. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.inFlight;
    const batch = new Map(this.pending);
    this.pending.clear();
    this.inFlight = this.inFlight.then(() =>
      this.options.write(batch).catch((error: unknown) => {
        this.options.log.warn({ err: error, keys: batch.size }, 'could not record API key last use');
      }),
    );
    return this.inFlight;
  }
}
