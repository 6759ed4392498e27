import { sealRecord, type AuditKey } from './chain.js';
import type { AuditEvent, AuditRecord } from './record.js';

/** An append waiting for its batch to be written. */
export interface PendingAppend {
  readonly event: AuditEvent;
  readonly time: string;
  readonly resolve: (record: AuditRecord) => void;
  readonly reject: (error: unknown) => void;
}

export interface SealedBatch {
  readonly records: AuditRecord[];
  /** Each record's canonical line, as stored. */
  readonly lines: string[];
  /** The new end of the chain: the last record's seq and hash (the old end for an empty batch). */
  readonly seq: number;
  readonly hash: string;
}

/**
 * Chains a batch of appends onto the end `{ seq, hash }` of `instance`'s chain: each
 * record takes the next seq and the previous record's hash as `prev`. The sinks
 * store the result; sealing is the same for the file and the database.
 */
export function sealBatch(
  batch: readonly Pick<PendingAppend, 'event' | 'time'>[],
  end: { readonly seq: number; readonly hash: string },
  instance: string,
  key: AuditKey | undefined,
): SealedBatch {
  let seq = end.seq;
  let prev = end.hash;
  const records: AuditRecord[] = [];
  const lines: string[] = [];
  for (const { event, time } of batch) {
    seq += 1;
    // Chain fields last, so an event can never set them.
    const body = copyEvent(event);
    body['seq'] = seq;
    body['time'] = time;
    body['instance'] = instance;
    body['prev'] = prev;
    const sealed = sealRecord(body as unknown as Omit<AuditRecord, 'hash'>, key);
    records.push(sealed.record);
    lines.push(sealed.line);
    prev = sealed.record.hash;
  }
  return { records, lines, seq, hash: prev };
}

/**
 * A fresh copy of the event's own members, to add the chain fields to. Object.assign,
 * not a spread: V8 takes microseconds per record to add members to a spread copy.
 * Assigning differs from spreading only for an own `__proto__`, which is spread.
 */
export function copyEvent(event: object): Record<string, unknown> {
  return Object.hasOwn(event, '__proto__') ? { ...event } : Object.assign<Record<string, unknown>, object>({}, event);
}

/**
 * The group commit both sinks share: appends queue up, and one loop hands them to
 * `commit` in batches of at most `maxBatch`, so the appends of one turn of the event
 * loop (and all that arrive while a batch is written) share one write.
 */
export class GroupCommit {
  private readonly queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly commit: (batch: PendingAppend[]) => Promise<void>,
    private readonly maxBatch = 4096,
    private readonly now: () => Date = () => new Date(),
  ) {}

  push(event: AuditEvent): Promise<AuditRecord> {
    return new Promise<AuditRecord>((resolve, reject) => {
      this.queue.push({ event, time: this.now().toISOString(), resolve, reject });
      this.flushing ??= this.loop();
    });
  }

  /** Resolves once every queued append has been handed to `commit`. */
  async drain(): Promise<void> {
    await this.flushing;
  }

  /** Takes every append still waiting, for a sink that failed to reject them. */
  takeAll(): PendingAppend[] {
    return this.queue.splice(0);
  }

  private async loop(): Promise<void> {
    // Let the appends of the current turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) await this.commit(this.queue.splice(0, this.maxBatch));
    this.flushing = null;
  }
}
