import { serialize } from 'pg-protocol';
import { RowCollector, type FieldDescription } from '../postgres-family/wire/collector.js';
import { BEGIN_READ_ONLY, ROLLBACK, SET_LOCAL_LIMITS, SET_LOCAL_LIMITS_PINNED } from '../postgres-family/wire/statements.js';
import type { ReadResult } from '../../engine/source.js';

/** The slice of PGlite this module uses, typed locally so the core never imports PGlite. */
export interface ProtocolEngine {
  execProtocol(
    message: Uint8Array,
    options?: { syncToFs?: boolean; throwOnError?: boolean },
  ): Promise<{ messages: readonly BackendMessage[] }>;
}

interface BackendMessage {
  name: string;
  fields?: unknown;
  status?: string;
  code?: string;
  message?: string;
  severity?: string;
}

export interface ProtocolReadRequest {
  /** statement_timeout and lock_timeout in ms, as text (also takes the transaction's snapshot). */
  limits: [string, string];
  /** Pin the search path for the statement (ReadRequest.pinnedNames). */
  pinnedNames?: boolean | undefined;
  sql: string;
  values: (string | null)[];
  maxRows: number;
  maxBytes: number;
}

/** Raised when the engine did not return to an idle transaction state: the caller must restart it. */
export class EngineStateError extends Error {
  override readonly name = 'EngineStateError';
}

/**
 * The guarded read over raw protocol messages, for an in-process engine:
 * BEGIN READ ONLY and the statement over the extended protocol, rows fetched in
 * batches from the portal until a cap is reached, then ROLLBACK — always.
 */
export async function protocolRead(engine: ProtocolEngine, request: ProtocolReadRequest): Promise<ReadResult> {
  const collector = new RowCollector(request.maxRows, request.maxBytes);
  const exec = async (parts: Buffer[]): Promise<readonly BackendMessage[]> =>
    (await engine.execProtocol(Buffer.concat(parts), { syncToFs: false, throwOnError: false })).messages;

  let messages = await exec([
    serialize.parse({ text: BEGIN_READ_ONLY }),
    serialize.bind({}),
    serialize.execute({}),
    // Runs a query before the caller's statement, so the transaction can no longer be switched to read-write.
    serialize.parse({ text: request.pinnedNames === true ? SET_LOCAL_LIMITS_PINNED : SET_LOCAL_LIMITS }),
    serialize.bind({ values: request.limits }),
    serialize.execute({}),
    serialize.parse({ text: request.sql }),
    serialize.bind({ values: request.values }),
    serialize.describe({ type: 'P', name: '' }),
    serialize.execute({ rows: collector.nextBatchSize() }),
    serialize.flush(),
  ]);
  let outcome = consume(messages, collector, true);
  while (outcome.state === 'suspended' && !collector.full) {
    messages = await exec([serialize.execute({ rows: collector.nextBatchSize() }), serialize.flush()]);
    outcome = consume(messages, collector, false);
  }
  const closing = outcome.state === 'error' ? [serialize.sync()] : [];
  const end = await exec([...closing, serialize.parse({ text: ROLLBACK }), serialize.bind({}), serialize.execute({}), serialize.sync()]);
  const ready = [...end].reverse().find((m) => m.name === 'readyForQuery');
  if (ready?.status !== 'I') throw new EngineStateError('the embedded engine did not return to an idle state');
  if (outcome.state === 'error') throw new EngineQueryError(outcome.error);
  return collector.result();
}

/** An error the database reported for the statement, carrying its SQLSTATE. */
export class EngineQueryError extends Error {
  override readonly name = 'EngineQueryError';
  readonly code: string | undefined;
  readonly severity: string | undefined;

  constructor(message: BackendMessage) {
    super(message.message ?? 'database error');
    this.code = message.code;
    this.severity = message.severity;
  }
}

type Outcome =
  | { state: 'complete' }
  | { state: 'suspended' }
  | { state: 'error'; error: BackendMessage };

/** Commands that complete before the caller's statement in the first batch: BEGIN and the limits. */
const PRELUDE_COMMANDS = 2;

function consume(messages: readonly BackendMessage[], collector: RowCollector, first: boolean): Outcome {
  let preludeLeft = first ? PRELUDE_COMMANDS : 0;
  for (const message of messages) {
    switch (message.name) {
      case 'error':
        return { state: 'error', error: message };
      case 'commandComplete':
        if (preludeLeft > 0) preludeLeft--;
        else return { state: 'complete' };
        break;
      case 'emptyQuery':
        return { state: 'complete' };
      case 'rowDescription':
        if (preludeLeft === 0) collector.describe(message.fields as FieldDescription[]);
        break;
      case 'dataRow':
        if (preludeLeft === 0) collector.add(message.fields as (string | null)[]);
        break;
      case 'portalSuspended':
        return { state: 'suspended' };
      default:
        break;
    }
  }
  return { state: 'complete' };
}
