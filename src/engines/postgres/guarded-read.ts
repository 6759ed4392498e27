import { RowCollector, type FieldDescription } from '../postgres-family/wire/collector.js';
import { BEGIN_READ_ONLY, ROLLBACK } from '../postgres-family/wire/statements.js';
import type { ReadResult } from '../../engine/source.js';
import { BastionError } from '../../errors/codes.js';
import { checkPlan, topPlanEstimate } from '../postgres-family/wire/plan-guard.js';
import type { PlanBound } from '../../engine/source.js';
import { cacheFor, type StatementCache } from './statement-cache.js';
import { MAX_OTHER_MESSAGE, SMALL_ROW, type GateCall } from '../postgres-family/wire/gate.js';

/**
 * The part of pg's Connection this submittable drives: a local structural type, so
 * the rest of Bastion never depends on the driver's internals.
 */
export interface WireConnection {
  parse(config: { text: string; name?: string }): void;
  bind(config: { portal?: string; statement?: string; values?: (string | null)[] }): void;
  describe(config: { type: 'P' | 'S'; name?: string }): void;
  execute(config: { portal?: string; rows?: number }): void;
  close(config: { type: 'S' | 'P'; name?: string }): void;
  flush(): void;
  sync(): void;
  sendCopyFail(message: string): void;
  stream: { cork?: () => void; uncork?: () => void };
}

export interface GuardedReadSpec {
  sql: string;
  values: (string | null)[];
  maxRows: number;
  maxBytes: number;
  /** Transaction-local settings statement and its values (timeouts, role). */
  limits: { text: string; values: (string | null)[] };
  /**
   * 'single': one write and one round trip — ROLLBACK and Sync follow the first
   * batch at once. If the statement had more rows than that batch and no cap was
   * reached, `incomplete` is set and the caller runs it again 'batched', which keeps
   * the portal open and fetches batch after batch until a cap.
   */
  mode: 'single' | 'batched';
  /**
   * The plan-cost guard (ReadRequest.planBound): this EXPLAIN of the statement runs first, with
   * the same values, and the statement is sent only once its plan is within the bound — one
   * more round trip; over it, ROLLBACK and the call fails with PLAN_TOO_COSTLY.
   */
  plan?: { sql: string; bound: PlanBound } | undefined;
}

type Stage = 'begin' | 'limits' | 'plan' | 'statement' | 'rollback' | 'failed';

/**
 * One call as a single pg "submittable": BEGIN READ ONLY, the SET LOCAL limits and
 * the statement go out in one write over the extended protocol (never the simple
 * protocol, which would run `;`-separated statements). Rows are fetched in batches
 * from the open portal, so the caps stop the read early. ROLLBACK always follows.
 */
export class GuardedRead implements GateCall {
  private stage: Stage = 'begin';
  private stopped = false;
  private readonly collector: RowCollector;
  private error: unknown;
  private settled = false;
  private moreRows = false;
  /** Sync is on its way: the server answers ReadyForQuery after it, and nothing more may follow. */
  private syncSent = false;
  /** The one value EXPLAIN answered (the guard's plan). */
  private planText: string | null | undefined;
  private resolve!: (result: ReadResult) => void;
  private reject!: (error: unknown) => void;
  readonly done: Promise<ReadResult>;

  constructor(private readonly spec: GuardedReadSpec) {
    this.collector = new RowCollector(spec.maxRows, spec.maxBytes);
    this.done = new Promise<ReadResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: WireConnection): null {
    const cache = cacheFor(connection);
    corked(connection, () => {
      bindPrepared(connection, cache.prepare(BEGIN_READ_ONLY), BEGIN_READ_ONLY, []);
      connection.execute({});
      bindPrepared(connection, cache.prepare(this.spec.limits.text), this.spec.limits.text, this.spec.limits.values);
      connection.execute({});
      const { plan } = this.spec;
      if (plan === undefined) {
        this.sendStatement(connection, cache);
      } else {
        bindPrepared(connection, cache.prepare(plan.sql), plan.sql, this.spec.values);
        connection.execute({});
        connection.flush();
      }
    });
    return null;
  }

  /** The statement, its first batch, and in 'single' mode ROLLBACK and Sync right behind it. */
  private sendStatement(connection: WireConnection, cache: StatementCache): void {
    bindPrepared(connection, cache.prepare(this.spec.sql), this.spec.sql, this.spec.values);
    connection.describe({ type: 'P', name: '' });
    connection.execute({ rows: this.collector.nextBatchSize() });
    if (this.spec.mode === 'single') {
      bindPrepared(connection, cache.prepare(ROLLBACK), ROLLBACK, []);
      connection.execute({});
      this.sync(connection);
    } else {
      connection.flush();
    }
  }

  /** The plan is in: the statement follows when it is within the bound, else only ROLLBACK does. */
  private judgePlan(connection: WireConnection, bound: PlanBound): void {
    try {
      checkPlan(topPlanEstimate(this.planText), bound);
    } catch (refusal) {
      this.error ??= refusal;
      this.rollback(connection);
      return;
    }
    this.stage = 'statement';
    corked(connection, () => this.sendStatement(connection, cacheFor(connection)));
  }

  private sync(connection: WireConnection): void {
    this.syncSent = true;
    connection.sync();
  }

  /** The wire gate refused a message or something threw: the connection must be cut and its backend stopped. */
  get cutShort(): boolean {
    return this.stopped;
  }

  dataRowAllowance(): number {
    return this.stage === 'statement' ? this.collector.rowAllowance(SMALL_ROW) : MAX_OTHER_MESSAGE;
  }

  /**
   * A message longer than this read may take was never parsed. A row of the statement ends
   * the read at the byte cap with the rows so far; anything else fails the call.
   */
  tooLarge(kind: 'row' | 'message'): void {
    this.stopped = true;
    if (kind === 'row' && this.stage === 'statement') {
      this.collector.cutByBytes();
    } else {
      this.error ??= new BastionError(
        'QUERY_FAILED',
        `The database answered with a message larger than Bastion reads (over ${MAX_OTHER_MESSAGE / (1024 * 1024)} MiB); the statement was stopped.`,
      );
    }
    this.settle();
  }

  /** Something threw while this read's messages were handled: the call fails, never the process. */
  fault(error: unknown): void {
    this.stopped = true;
    this.error ??= new BastionError('INTERNAL', undefined, error);
    this.settle();
  }

  /** True when a 'single' read stopped at its first batch although more rows existed and no cap was hit. */
  get incomplete(): boolean {
    return this.moreRows && !this.stopped;
  }

  handleRowDescription(message: { fields: FieldDescription[] }): void {
    if (this.stage === 'statement') this.collector.describe(message.fields);
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.stage === 'statement') this.collector.add(message.fields);
    else if (this.stage === 'plan') this.planText = message.fields[0];
  }

  handleCommandComplete(_message: unknown, connection: WireConnection): void {
    const { plan } = this.spec;
    if (this.stage === 'begin') this.stage = 'limits';
    else if (this.stage === 'limits') this.stage = plan === undefined ? 'statement' : 'plan';
    else if (this.stage === 'plan' && plan !== undefined) this.judgePlan(connection, plan.bound);
    else if (this.stage === 'statement') this.rollback(connection);
  }

  handlePortalSuspended(connection: WireConnection): void {
    if (this.stage !== 'statement') return;
    if (this.spec.mode === 'single') {
      // ROLLBACK is already on its way; the portal ends with it.
      this.moreRows = !this.collector.full;
      this.stage = 'rollback';
      return;
    }
    if (this.collector.full) {
      this.rollback(connection);
      return;
    }
    corked(connection, () => {
      connection.execute({ rows: this.collector.nextBatchSize() });
      connection.flush();
    });
  }

  handleEmptyQuery(connection: WireConnection): void {
    if (this.stage === 'statement') this.rollback(connection);
  }

  handleError(error: unknown, connection: WireConnection): void {
    this.error ??= error;
    // Once a Sync is on its way (a 'single' read's, or ROLLBACK's), another would answer the next query's turn.
    if (!this.syncSent) {
      // The server now skips everything until Sync; the caller discards this connection.
      this.stage = 'failed';
      try {
        this.sync(connection);
      } catch {
        // the socket is already gone
      }
    }
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

  private rollback(connection: WireConnection): void {
    this.stage = 'rollback';
    if (this.syncSent) return; // a 'single' read sent it with the statement
    const cache = cacheFor(connection);
    corked(connection, () => {
      bindPrepared(connection, cache.prepare(ROLLBACK), ROLLBACK, []);
      connection.execute({});
      this.sync(connection);
    });
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.error !== undefined) this.reject(this.error);
    else this.resolve(this.collector.result());
  }

  get failed(): boolean {
    return this.error !== undefined;
  }
}

/** Parse (first use on this connection only) and Bind a named statement to the unnamed portal. */
function bindPrepared(connection: WireConnection, prepared: { name: string; ready: boolean; evicted?: string | undefined }, text: string, values: (string | null)[]): void {
  if (prepared.evicted !== undefined) connection.close({ type: 'S', name: prepared.evicted });
  if (!prepared.ready) connection.parse({ text, name: prepared.name });
  connection.bind({ statement: prepared.name, values });
}

function corked(connection: WireConnection, write: () => void): void {
  connection.stream.cork?.();
  try {
    write();
  } finally {
    connection.stream.uncork?.();
  }
}
