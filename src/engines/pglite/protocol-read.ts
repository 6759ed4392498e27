import { EventEmitter } from 'node:events';
import { parse, serialize } from 'pg-protocol';
import { RowCollector, type FieldDescription } from '../postgres-family/wire/collector.js';
import { MAX_OTHER_MESSAGE, SMALL_ROW, WireGate } from '../postgres-family/wire/gate.js';
import { BEGIN_READ_ONLY, ROLLBACK, setLocalLimits } from '../postgres-family/wire/statements.js';
import { checkPlan, explainForGuard, topPlanEstimate } from '../postgres-family/wire/plan-guard.js';
import type { PlanBound, ReadResult } from '../../engine/source.js';

/** The slice of PGlite this module uses, typed locally so the core never imports PGlite. */
export interface ProtocolEngine {
  execProtocol(
    message: Uint8Array,
    options?: { syncToFs?: boolean; throwOnError?: boolean },
  ): Promise<{ messages: readonly BackendMessage[] }>;
  /** The backend's output as it is produced, in chunks that are views of memory PGlite reuses. */
  execProtocolRawStream(message: Uint8Array, options: { syncToFs?: boolean; onRawData: (data: Uint8Array) => void }): Promise<void>;
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
  /** statement_timeout and lock_timeout in ms, work_mem and temp_file_limit, as text (see pgliteLimits). */
  limits: PgliteLimits;
  /** Pin the search path for the statement (ReadRequest.pinnedNames). */
  pinnedNames?: boolean | undefined;
  /** Plan without index scans (ReadRequest.withoutIndexScans); only with pinnedNames. */
  withoutIndexScans?: boolean | undefined;
  sql: string;
  values: (string | null)[];
  maxRows: number;
  maxBytes: number;
  /** The plan-cost guard (ReadRequest.planBound): EXPLAIN first, in the same transaction; the statement only within the bound. */
  planBound?: PlanBound | undefined;
}

/** statement_timeout and lock_timeout (ms), work_mem and temp_file_limit ('16MB'): the values of pgliteLimitsText. */
export type PgliteLimits = [string, string, string, string];

/** PGlite runs as its superuser, so temp_file_limit is always set; no role is ever switched to. */
export function pgliteLimitsText(pinned: boolean, withoutIndexScans = false): string {
  return setLocalLimits({ tempFileLimit: true, role: false, pinned, withoutIndexScans });
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
export async function protocolRead(engine: ProtocolEngine, request: ProtocolReadRequest): Promise<ProtocolReadResult> {
  const collector = new RowCollector(request.maxRows, request.maxBytes);
  const reader = new GatedReader(engine, collector);
  const statement = [
    serialize.parse({ text: request.sql }),
    serialize.bind({ values: request.values }),
    serialize.describe({ type: 'P', name: '' }),
    serialize.execute({ rows: collector.nextBatchSize() }),
    serialize.flush(),
  ];
  let outcome: Outcome;
  if (request.planBound === undefined) {
    outcome = await reader.exec([...prelude(request), ...statement], PRELUDE_COMMANDS);
  } else {
    const refusal = await planFirst(engine, request, request.planBound);
    if (refusal !== undefined) {
      await endRead(engine, refusal.sync);
      throw refusal.error;
    }
    outcome = await reader.exec(statement, 0);
  }
  while (outcome.state === 'suspended' && !collector.full) {
    outcome = await reader.exec([serialize.execute({ rows: collector.nextBatchSize() }), serialize.flush()], 0);
  }
  // After an error the engine skips to Sync; after a refused message the rest of that round was not read, and may hold one.
  await endRead(engine, outcome.state === 'error' || outcome.state === 'too-large' || reader.oversized);
  if (outcome.state === 'error') throw new EngineQueryError(outcome.error);
  if (outcome.state === 'too-large') throw new OversizedMessageError();
  // A row too large to read was built in the engine's memory all the same: start it afresh after this answer.
  return reader.oversized ? { ...collector.result(), recycle: true } : collector.result();
}

/** BEGIN READ ONLY and the call's limits, ahead of the first statement of the transaction. */
function prelude(request: ProtocolReadRequest): Buffer[] {
  return [
    serialize.parse({ text: BEGIN_READ_ONLY }),
    serialize.bind({}),
    serialize.execute({}),
    // Runs a query before the caller's statement, so the transaction can no longer be switched to read-write.
    serialize.parse({ text: pgliteLimitsText(request.pinnedNames === true, request.withoutIndexScans === true) }),
    serialize.bind({ values: request.limits }),
    serialize.execute({}),
  ];
}

/**
 * The plan-cost guard's round: the prelude and EXPLAIN of the statement with its values, the
 * transaction left open. Undefined when the plan is within the bound; else why the statement
 * must not run, and whether the engine is waiting for a Sync.
 */
async function planFirst(engine: ProtocolEngine, request: ProtocolReadRequest, bound: PlanBound): Promise<{ error: Error; sync: boolean } | undefined> {
  const plan = new RowCollector(1, MAX_OTHER_MESSAGE);
  const planner = new GatedReader(engine, plan);
  const explain = [serialize.parse({ text: explainForGuard(request.sql) }), serialize.bind({ values: request.values }), serialize.execute({}), serialize.flush()];
  const outcome = await planner.exec([...prelude(request), ...explain], PRELUDE_COMMANDS);
  if (outcome.state === 'error') return { error: new EngineQueryError(outcome.error), sync: true };
  if (outcome.state === 'too-large' || planner.oversized) return { error: new OversizedMessageError(), sync: true };
  try {
    checkPlan(topPlanEstimate(plan.result().rows[0]?.[0]), bound);
  } catch (error) {
    return { error: error as Error, sync: false };
  }
  return undefined;
}

/** ROLLBACK, always; after an error the engine skips to Sync, so one goes first (`sync`). The engine must end idle. */
async function endRead(engine: ProtocolEngine, sync: boolean): Promise<void> {
  const closing = sync ? [serialize.sync()] : [];
  const end = await engine.execProtocol(Buffer.concat([...closing, serialize.parse({ text: ROLLBACK }), serialize.bind({}), serialize.execute({}), serialize.sync()]), {
    syncToFs: false,
    throwOnError: false,
  });
  const ready = [...end.messages].reverse().find((m) => m.name === 'readyForQuery');
  if (ready?.status !== 'I') throw new EngineStateError('the embedded engine did not return to an idle state');
}

/** A read's answer; `recycle`: the engine grew its memory for a row it refused, restart it. */
export type ProtocolReadResult = ReadResult & { recycle?: true };

/** The engine answered with a message other than a row larger than Bastion reads (an error quoting a huge value). */
export class OversizedMessageError extends Error {
  override readonly name = 'OversizedMessageError';
  constructor() {
    super(`the database answered with a message larger than Bastion reads (over ${MAX_OTHER_MESSAGE / (1024 * 1024)} MiB)`);
  }
}

/**
 * Runs protocol messages on the engine with its output streamed through the wire gate
 * (postgres-family/wire/gate.ts) into pg-protocol's parser: a row longer than the bytes
 * left is never copied out of the engine or decoded, and the read ends at it. Messages
 * are handled as they are parsed, so the gate always knows the bytes already kept.
 */
class GatedReader {
  private preludeLeft = 0;
  private outcome: Outcome | undefined;
  private stopped: 'row' | 'message' | undefined;
  private fault: unknown;

  constructor(
    private readonly engine: ProtocolEngine,
    private readonly collector: RowCollector,
  ) {}

  get oversized(): boolean {
    return this.stopped !== undefined;
  }

  async exec(parts: Buffer[], prelude: number): Promise<Outcome> {
    this.preludeLeft = prelude;
    this.outcome = undefined;
    // A fresh parser per round: each round's output ends at a message boundary.
    const output = new EventEmitter();
    void parse(output as unknown as NodeJS.ReadableStream, (message) => this.handle(message));
    const gate = WireGate.install(output as unknown as Parameters<typeof WireGate.install>[0], (error) => (this.fault ??= error), { copy: true });
    if (gate === undefined) throw new Error('the wire gate could not be installed');
    gate.arm({
      dataRowAllowance: () => (this.preludeLeft === 0 ? this.collector.rowAllowance(SMALL_ROW) : MAX_OTHER_MESSAGE),
      tooLarge: (kind) => {
        this.stopped ??= kind;
        if (kind === 'row' && this.preludeLeft === 0) this.collector.cutByBytes();
      },
      fault: (error) => (this.fault ??= error),
    });
    await this.engine.execProtocolRawStream(Buffer.concat(parts), { syncToFs: false, onRawData: (data) => output.emit('data', data) });
    if (this.fault !== undefined) throw new EngineStateError('reading the embedded engine\'s answer failed', { cause: this.fault });
    if (this.stopped === 'message' || (this.stopped === 'row' && this.preludeLeft > 0)) return { state: 'too-large' };
    // After a refused row the rest of the round was dropped: the portal's state is unknown, ROLLBACK ends it.
    if (this.stopped === 'row') return { state: 'complete' };
    return this.outcome ?? { state: 'complete' };
  }

  private handle(message: BackendMessage): void {
    if (this.outcome !== undefined) return;
    switch (message.name) {
      case 'error':
        this.outcome = { state: 'error', error: message };
        break;
      case 'commandComplete':
        if (this.preludeLeft > 0) this.preludeLeft--;
        else this.outcome = { state: 'complete' };
        break;
      case 'emptyQuery':
        this.outcome = { state: 'complete' };
        break;
      case 'rowDescription':
        if (this.preludeLeft === 0) this.collector.describe(message.fields as FieldDescription[]);
        break;
      case 'dataRow':
        if (this.preludeLeft === 0) this.collector.add(message.fields as (string | null)[]);
        break;
      case 'portalSuspended':
        this.outcome = { state: 'suspended' };
        break;
      default:
        break;
    }
  }
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
  | { state: 'too-large' }
  | { state: 'error'; error: BackendMessage };

/** Commands that complete before the caller's statement in the first batch: BEGIN and the limits. */
const PRELUDE_COMMANDS = 2;
