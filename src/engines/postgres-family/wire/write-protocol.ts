import { serialize } from 'pg-protocol';
import { asError, parseCommandTag, type PipelineResult, type PipelineStep, type RowSink, type StepOutcome } from './pipeline.js';

/** The slice of an in-process engine (PGlite) this module drives, typed locally. */
export interface ProtocolExecutor {
  execProtocol(
    message: Uint8Array,
    options?: { syncToFs?: boolean; throwOnError?: boolean },
  ): Promise<{ messages: readonly ProtocolMessage[] }>;
}

interface ProtocolMessage {
  readonly name: string;
  readonly fields?: unknown;
  readonly text?: string;
  readonly status?: string;
}

/** Rows per Execute: an engine that buffers its whole answer never holds more than this. */
const BATCH_ROWS = 1_000;

type Outcome =
  | { state: 'complete'; tag: string; rows: number }
  | { state: 'suspended'; rows: number }
  | { state: 'copy' }
  | { state: 'error'; error: Error };

/**
 * The write pipeline over raw protocol messages, for an engine that answers each
 * message batch in full (PGlite). Each step runs as the unnamed statement, its rows
 * fetched in batches from the portal; the first error skips the rest; Sync ends
 * the batch. `transactionStatus` is the status of the last ReadyForQuery.
 */
export class ProtocolPipeline {
  transactionStatus: string | undefined;

  constructor(private readonly engine: ProtocolExecutor) {}

  readonly run = async (steps: readonly PipelineStep[]): Promise<PipelineResult> => {
    const completed: StepOutcome[] = [];
    let error: Error | undefined;
    for (const step of steps) {
      const outcome = await this.runStep(step);
      if ('error' in outcome) {
        error = outcome.error;
        break;
      }
      completed.push(outcome);
    }
    const end = await this.exec([serialize.sync()], true);
    this.transactionStatus = [...end].reverse().find((m) => m.name === 'readyForQuery')?.status;
    return error === undefined ? { completed } : { completed, error };
  };

  private async runStep(step: PipelineStep): Promise<StepOutcome | { error: Error }> {
    let parts = [
      serialize.parse({ text: step.text }),
      serialize.bind({ values: [...step.values] }),
      serialize.describe({ type: 'P', name: '' }),
      serialize.execute({ rows: BATCH_ROWS }),
      serialize.flush(),
    ];
    let rows = 0;
    let suspended = false;
    for (;;) {
      const outcome = consume(await this.exec(parts, false), step.sink);
      switch (outcome.state) {
        case 'error':
          return { error: outcome.error };
        case 'copy':
          parts = [serialize.copyFail('COPY is not allowed'), serialize.flush()];
          break;
        case 'suspended':
          rows += outcome.rows;
          suspended = true;
          parts = [serialize.execute({ rows: BATCH_ROWS }), serialize.flush()];
          break;
        case 'complete': {
          const tagged = parseCommandTag(outcome.tag);
          // After a suspension the tag counts only the last batch's rows (an UPDATE
          // ... RETURNING fetched in batches ends with "UPDATE 0"); every affected
          // row came back as one row, so their sum is the command's count.
          return suspended ? { command: tagged.command, rowCount: rows + outcome.rows } : tagged;
        }
      }
    }
  }

  private async exec(parts: Buffer[], syncToFs: boolean): Promise<readonly ProtocolMessage[]> {
    return (await this.engine.execProtocol(Buffer.concat(parts), { syncToFs, throwOnError: false })).messages;
  }
}

function consume(messages: readonly ProtocolMessage[], sink: RowSink | undefined): Outcome {
  let rows = 0;
  for (const message of messages) {
    switch (message.name) {
      case 'error':
        // pg-protocol parses an ErrorResponse into a DatabaseError (an Error with code, severity).
        return { state: 'error', error: asError(message) };
      case 'rowDescription':
        sink?.describe(message.fields as Parameters<RowSink['describe']>[0]);
        break;
      case 'dataRow':
        rows++;
        sink?.add(message.fields as (string | null)[]);
        break;
      case 'commandComplete':
        return { state: 'complete', tag: message.text ?? '', rows };
      case 'emptyQuery':
        return { state: 'complete', tag: '', rows };
      case 'portalSuspended':
        return { state: 'suspended', rows };
      case 'copyInResponse':
        return { state: 'copy' };
      default:
        break;
    }
  }
  return { state: 'error', error: new Error('the engine ended a step without completing it') };
}
