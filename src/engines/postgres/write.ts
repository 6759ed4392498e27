import type { FieldDescription } from '../postgres-family/wire/collector.js';
import { asError, parseCommandTag, type PipelineResult, type PipelineStep, type StepOutcome } from '../postgres-family/wire/pipeline.js';
import type { WireConnection } from './guarded-read.js';

/**
 * The steps of one write round trip as a single pg "submittable": each step is
 * Parse / Bind / Describe / Execute of the unnamed statement, and one Sync ends
 * the batch. The extended protocol refuses a second statement in a step's text,
 * values are always bound, and unnamed statements leave the read path's cache of
 * named statements on this connection untouched. Execute has no row limit, so a
 * statement runs to completion; its sink keeps only the rows it wants.
 */
export class WriteBatch {
  private index = 0;
  private readonly completed: StepOutcome[] = [];
  private error: Error | undefined;
  private settled = false;
  private resolve!: (result: PipelineResult) => void;
  readonly done: Promise<PipelineResult>;

  constructor(private readonly steps: readonly PipelineStep[]) {
    this.done = new Promise<PipelineResult>((resolve) => {
      this.resolve = resolve;
    });
  }

  submit(connection: WireConnection): null {
    connection.stream.cork?.();
    try {
      for (const step of this.steps) {
        connection.parse({ text: step.text });
        connection.bind({ values: [...step.values] });
        connection.describe({ type: 'P', name: '' });
        connection.execute({});
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(message: { fields: FieldDescription[] }): void {
    this.steps[this.index]?.sink?.describe(message.fields);
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    this.steps[this.index]?.sink?.add(message.fields);
  }

  handleCommandComplete(message: { text: string }): void {
    this.completed.push(parseCommandTag(message.text));
    this.index++;
  }

  handleEmptyQuery(): void {
    this.completed.push({ command: '', rowCount: 0 });
    this.index++;
  }

  handlePortalSuspended(): void {
    // Never sent: Execute carries no row limit.
  }

  /**
   * pg detaches the query on an error message; the ReadyForQuery that follows
   * still gates the next query on this client, so a ROLLBACK queued now waits for it.
   */
  handleError(error: unknown): void {
    this.error ??= asError(error);
    this.settle();
  }

  handleReadyForQuery(): void {
    this.settle();
  }

  handleCopyInResponse(connection: WireConnection): void {
    connection.sendCopyFail('COPY is not allowed');
  }

  handleCopyData(): void {
    // COPY never passes the policy; nothing to collect.
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.error === undefined ? { completed: this.completed } : { completed: this.completed, error: this.error });
  }
}

/** The slice of a pg client a write uses. */
export interface BatchClient {
  query(batch: WriteBatch): unknown;
}

/**
 * Runs one batch on the client. The server enforces statement_timeout; if it goes
 * silent for longer than `backstopMs`, `onSilence` cuts the socket, which ends the
 * batch with an error and the caller discards the connection.
 */
export async function runWriteBatch(client: BatchClient, steps: readonly PipelineStep[], backstopMs: number, onSilence: () => void): Promise<PipelineResult> {
  const batch = new WriteBatch(steps);
  const timer = setTimeout(onSilence, backstopMs);
  try {
    client.query(batch);
    return await batch.done;
  } finally {
    clearTimeout(timer);
  }
}
