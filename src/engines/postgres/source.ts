import pg from 'pg';
import type { PostgresSourceConfig } from '../../config/schema.js';
import { BastionError, isBastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import type { PoolStats, ReadRequest, ReadResult, Source, WriteRequest, WriteResult } from '../../engine/source.js';
import { encodeParam } from '../postgres-family/wire/decode.js';
import { toBastionError } from '../postgres-family/wire/errors.js';
import { explainForGuard } from '../postgres-family/wire/plan-guard.js';
import { setLocalLimits } from '../postgres-family/wire/statements.js';
import { runGovernedWrite } from '../postgres-family/wire/write-flow.js';
import { GuardedRead } from './guarded-read.js';
import { runWriteBatch, type BatchClient } from './write.js';
import { readTempFileLimit } from './temp-file-limit.js';
import { SMALL_ROW, WireGate, type GateStream } from '../postgres-family/wire/gate.js';
import { ConnectionSlots } from '../../engine/fair-share.js';

/** How many multi-batch statement texts to remember before starting over. */
const MULTI_BATCH_MEMORY = 1000;

/** Seconds added to the server-side timeout before the client gives up on a silent server. */
const CLIENT_GRACE_MS = 5_000;

/** The time limit of the short statement that ends a cancelled call's backend. */
const STOP_STATEMENT_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL through a pg pool. Connections start with read-only defaults and
 * server-side timeouts; every read also opens its own READ ONLY transaction with
 * SET LOCAL limits and rolls it back, and a write (when enabled) names READ WRITE
 * explicitly. A connection that saw an error or did not come back idle is
 * destroyed, never returned to the pool. A read the client cancels (its signal
 * aborts) is cancelled on the server and its connection destroyed.
 */
export class PostgresSource implements Source {
  readonly engine = 'postgres' as const;
  readonly mode = 'read-only' as const;
  readonly guardsPlans = true as const;
  private readonly pool: pg.Pool;
  /**
   * Whether the login may set temp_file_limit, once a connection told us (see limits()).
   * Until then, and when it may not, calls go without it.
   */
  private tempFileLimitSettable: boolean | undefined;
  private tempFileLimitProbe: Promise<void> | undefined;
  /**
   * Every checkout takes one of pool.max slots first, waiting at most pool.acquire_timeout_ms
   * (then SOURCE_BUSY), so pg's pool never queues a call and its own timeout only means that
   * connecting failed (SOURCE_UNAVAILABLE).
   */
  private readonly slots: ConnectionSlots;

  constructor(
    readonly name: string,
    private readonly config: PostgresSourceConfig,
    private readonly log: Logger,
  ) {
    this.slots = new ConnectionSlots(config.pool.max, config.pool.acquire_timeout_ms);
    this.pool = new pg.Pool({
      connectionString: config.url,
      max: config.pool.max,
      idleTimeoutMillis: config.pool.idle_timeout_ms,
      connectionTimeoutMillis: config.pool.connect_timeout_ms,
      application_name: 'bastion',
      // Session defaults as a further layer under the per-call transaction settings.
      options: '-c default_transaction_read_only=on',
      statement_timeout: config.statement_timeout_ms,
      lock_timeout: config.lock_timeout_ms,
      idle_in_transaction_session_timeout: config.statement_timeout_ms + CLIENT_GRACE_MS,
    });
    this.pool.on('error', (error) => {
      this.log.warn({ source: name, err: error }, 'idle database connection failed; it was discarded');
    });
    // A connection lost while checked out emits 'error' on its client, where the pool does
    // not listen: without this a database restart would crash the server. The call using
    // it fails on its own and the client is destroyed, never reused.
    this.pool.on('connect', (client) => {
      client.on('error', (error) => this.log.warn({ source: name, err: error }, 'database connection lost'));
      // Every byte from the server passes the wire gate before pg parses it (see postgres-family/wire/gate.ts).
      const stream = (client as unknown as { connection: { stream: GateStream } }).connection.stream;
      const gate = WireGate.install(stream, (error) =>
        this.log.error({ source: name, err: error }, 'a database answer outside any call could not be read; its connection was cut'),
      );
      if (gate !== undefined) this.gates.set(client, gate);
      else this.log.warn({ source: name }, 'could not put the wire gate on a database connection; its answers are bounded only after decoding');
    });
  }

  /** Statements that returned more than one batch: they go straight to the batched read. */
  private readonly multiBatch = new Set<string>();

  /**
   * Bumped by every real DDL run. The read path keeps named prepared statements per
   * connection, and PostgreSQL refuses to run one whose result columns changed
   * ("cached plan must not change result type"), so a connection first handed out
   * before the bump is discarded instead of reused.
   */
  private schemaEpoch = 0;
  private readonly clientEpochs = new WeakMap<pg.PoolClient, number>();
  private readonly gates = new WeakMap<pg.PoolClient, WireGate>();
  private serverVersion: number | undefined;

  /**
   * The transaction-local limits of a call (statements.ts setLocalLimits): timeouts,
   * work_mem, temp_file_limit when the login may set it, the role; `pinned` also pins
   * the search path (ReadRequest.pinnedNames), and `withoutIndexScans` with it turns index
   * scans off (ReadRequest.withoutIndexScans). The first call asks the database once
   * whether temp_file_limit may be set.
   */
  private async limits(pinned = false, withoutIndexScans = false): Promise<{ text: string; values: (string | null)[] }> {
    if (this.tempFileLimitSettable === undefined) {
      this.tempFileLimitProbe ??= this.probeTempFileLimit().finally(() => (this.tempFileLimitProbe = undefined));
      await this.tempFileLimitProbe;
    }
    const tempFileLimit = this.tempFileLimitSettable === true;
    const { config } = this;
    const values = [String(config.statement_timeout_ms), String(config.lock_timeout_ms), `${config.work_mem_mb}MB`];
    if (tempFileLimit) values.push(`${config.temp_file_limit_mb}MB`);
    if (config.role !== undefined) values.push(config.role);
    return { text: setLocalLimits({ tempFileLimit, role: config.role !== undefined, pinned, withoutIndexScans }), values };
  }

  private async probeTempFileLimit(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.connect();
    } catch {
      return; // the call itself reports the source unavailable
    }
    let healthy = false;
    // A silent server must not hold every first call: the socket is cut, the probe fails.
    const timer = setTimeout(() => cutSocket(client), this.config.statement_timeout_ms + CLIENT_GRACE_MS);
    try {
      const found = await readTempFileLimit((sql) => client.query<Record<string, unknown>>(sql).then((r) => r.rows));
      healthy = true;
      this.tempFileLimitSettable = found.settable;
      if (!found.settable && found.ownLimit === '-1') {
        this.log.warn(
          { source: this.name },
          "this source's login may not set temp_file_limit and has none of its own: one statement can fill the database's disk with temporary files; run ALTER ROLE <login> SET temp_file_limit = '1GB' (see bastion doctor)",
        );
      }
    } catch (error) {
      this.log.warn({ source: this.name, err: error }, 'could not read whether this source may set temp_file_limit; calls go without it for now');
    } finally {
      clearTimeout(timer);
      client.release(healthy ? undefined : true);
    }
  }

  async read(request: ReadRequest): Promise<ReadResult> {
    if (aborted(request.signal)) throw new BastionError('QUERY_CANCELLED');
    if (this.multiBatch.has(request.sql)) return this.readOnce(request, 'batched');
    const started = performance.now();
    const first = await this.readOnce(request, 'single');
    if (first !== 'incomplete') return first;
    if (this.multiBatch.size >= MULTI_BATCH_MEMORY) this.multiBatch.clear();
    this.multiBatch.add(request.sql);
    // The statement runs again, batch by batch: within what is left of the call's time limit,
    // so one call never keeps the database busy for more than statement_timeout_ms in all.
    const left = Math.floor(this.config.statement_timeout_ms - (performance.now() - started));
    if (left < 1) throw new BastionError('QUERY_TIMEOUT');
    return this.readOnce(request, 'batched', left);
  }

  private async readOnce(request: ReadRequest, mode: 'batched', timeoutMs?: number): Promise<ReadResult>;
  private async readOnce(request: ReadRequest, mode: 'single'): Promise<ReadResult | 'incomplete'>;
  private async readOnce(request: ReadRequest, mode: 'single' | 'batched', timeoutMs = this.config.statement_timeout_ms): Promise<ReadResult | 'incomplete'> {
    const settings = await this.limits(request.pinnedNames === true, request.withoutIndexScans === true);
    const limits = { text: settings.text, values: [String(timeoutMs), ...settings.values.slice(1)] };
    const client = await this.connect(request.signal);
    const { signal } = request;
    if (aborted(signal)) {
      client.release();
      throw new BastionError('QUERY_CANCELLED');
    }
    const guarded = new GuardedRead({
      sql: request.sql,
      values: request.params.map(encodeParam),
      maxRows: request.maxRows,
      maxBytes: request.maxBytes,
      limits,
      mode,
      plan: request.planBound === undefined ? undefined : { sql: explainForGuard(request.sql), bound: request.planBound },
    });
    let discard = true;
    // The server should have cancelled the statement already; the socket is suspect.
    const timer = setTimeout(() => cutSocket(client), timeoutMs + CLIENT_GRACE_MS);
    let running = true;
    const onAbort = (): void => void this.stopStatement(client, () => running);
    signal?.addEventListener('abort', onAbort, { once: true });
    const gate = this.gates.get(client);
    gate?.arm(guarded);
    try {
      void client.query(guarded as unknown as pg.Submittable);
      const result = await guarded.done;
      discard = transactionStatus(client) !== 'I';
      return guarded.incomplete ? 'incomplete' : result;
    } catch (error) {
      // A plan over the bound ended in ROLLBACK on a sound connection: it goes back to the pool.
      if (isBastionError(error) && error.code === 'PLAN_TOO_COSTLY') discard = transactionStatus(client) !== 'I';
      if (aborted(signal)) throw new BastionError('QUERY_CANCELLED', undefined, error);
      throw toBastionError(error, request.quietData);
    } finally {
      gate?.arm(undefined);
      if (guarded.cutShort) {
        // A row too large to read, or a fault: nothing more is read from this connection;
        // the backend is stopped before the call returns, then the connection discarded.
        discard = true;
        await this.stopStatement(client, () => running);
      }
      running = false;
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      // A cancel still on its way must not hit the next call's statement on this connection.
      client.release(discard || aborted(signal) ? true : undefined);
    }
  }

  /**
   * Stops a cancelled call's statement on the server, from a connection of its own:
   * closing the socket alone would leave it running until its timeout. The backend
   * is terminated, not only cancelled: its connection is discarded anyway, and a
   * cancel that lands between two protocol messages is ignored by the server,
   * while a termination is not. Then the socket is cut, so the read ends even if
   * the stop failed.
   */
  private async stopStatement(client: pg.PoolClient, running: () => boolean): Promise<void> {
    const pid = (client as unknown as { processID?: number | null }).processID;
    try {
      if (typeof pid === 'number') await terminateBackend(this.config, pid, running);
    } catch (error) {
      this.log.warn({ source: this.name, err: error }, 'could not stop a cancelled call\'s statement on the server; its connection is cut');
    } finally {
      cutSocket(client);
    }
  }

  /**
   * One governed write in a READ WRITE transaction of its own, on one connection
   * (see runGovernedWrite). The connection is discarded after any error, so a
   * failed or cancelled write can never leave state behind for the next call.
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    if (!this.config.writes.enabled) throw new BastionError('DENIED_BY_POLICY', 'Writes are not enabled for this source.');
    const serverVersion = await this.serverVersionNum();
    const limits = await this.limits();
    const client = await this.connect();
    const backstopMs = this.config.statement_timeout_ms + CLIENT_GRACE_MS;
    const batches = client as unknown as BatchClient;
    let failed = true;
    // Rows a write returns (RETURNING, samples, definitions) are bounded at the wire as reads are:
    // a longer one is never read, the socket is cut, and the transaction dies uncommitted with it.
    let oversized = false;
    const gate = this.gates.get(client);
    gate?.arm({
      dataRowAllowance: () => 3 * request.maxBytes + SMALL_ROW,
      tooLarge: () => {
        oversized = true;
        cutSocket(client);
      },
      fault: (error) => {
        this.log.error({ source: this.name, err: error }, 'reading the answer of a write failed; its connection was cut');
        cutSocket(client);
      },
    });
    try {
      const result = await runGovernedWrite(
        (steps) => runWriteBatch(batches, steps, backstopMs, () => cutSocket(client)),
        request,
        { limits, serverVersion },
      );
      failed = false;
      return result;
    } catch (error) {
      if (oversized) {
        throw new BastionError('QUERY_FAILED', 'The database answered the change with a row or message larger than Bastion reads; the change was not committed.', error);
      }
      throw toBastionError(error, request.quietData);
    } finally {
      gate?.arm(undefined);
      // Even a DDL whose COMMIT outcome is unknown retires the cached statements.
      if (request.kind === 'ddl' && !request.dryRun) this.schemaEpoch++;
      client.release(failed || transactionStatus(client) !== 'I' ? true : undefined);
    }
  }

  /**
   * A pooled connection whose prepared statements predate no schema change of ours. It holds
   * one of the source's connection slots until it is released (or destroyed): the wait for a
   * slot is bounded (SOURCE_BUSY); connecting failing is SOURCE_UNAVAILABLE.
   */
  private async connect(signal?: AbortSignal): Promise<pg.PoolClient> {
    const releaseSlot = await this.slots.acquire(signal);
    try {
      for (;;) {
        let client: pg.PoolClient;
        try {
          client = await this.pool.connect();
        } catch (error) {
          throw new BastionError('SOURCE_UNAVAILABLE', undefined, error);
        }
        const epoch = this.clientEpochs.get(client);
        if (epoch === undefined) this.clientEpochs.set(client, this.schemaEpoch);
        if (epoch === undefined || epoch === this.schemaEpoch) {
          const release = client.release.bind(client);
          client.release = (destroy?: boolean | Error) => {
            releaseSlot();
            release(destroy);
          };
          return client;
        }
        client.release(true);
      }
    } catch (error) {
      releaseSlot();
      throw error;
    }
  }

  /** server_version_num, read once per source (MERGE ... RETURNING needs 17+). */
  private async serverVersionNum(): Promise<number> {
    if (this.serverVersion === undefined) {
      const result = await this.read({ sql: SERVER_VERSION, params: [], maxRows: 1, maxBytes: 1024 });
      const value = result.rows[0]?.[0];
      // Unreadable: assume the oldest server, which only ever drops an optional sample.
      this.serverVersion = typeof value === 'number' ? value : 0;
    }
    return this.serverVersion;
  }

  /**
   * Warns when the connection (or the configured role) is a superuser: a superuser
   * may read server files and signal other sessions even inside a READ ONLY
   * transaction, which leaves the SQL policy as the only layer for those.
   */
  async checkPrivileges(): Promise<void> {
    try {
      const result = await this.read({ sql: PRIVILEGE_CHECK, params: [], maxRows: 1, maxBytes: 1024 });
      const [superuser] = result.rows[0] ?? [];
      if (superuser === true) {
        this.log.warn(
          { source: this.name },
          'this source runs statements as a PostgreSQL superuser; connect as (or set role: to) a role with only SELECT privileges so the database enforces a second layer',
        );
      }
    } catch (error) {
      this.log.warn({ source: this.name, err: error }, 'could not check the database role (the database may be down)');
    }
  }

  poolStats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount + this.slots.stats().waiting };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const PRIVILEGE_CHECK = 'SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user';
const SERVER_VERSION = "SELECT pg_catalog.current_setting('server_version_num')::int";

/** A function, not a property read: TypeScript would keep an earlier check's narrowing across awaits. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * One short-lived connection with the source's settings that ends backend `pid`,
 * unless its read finished meanwhile (then the pid may soon belong to another session).
 */
async function terminateBackend(config: PostgresSourceConfig, pid: number, running: () => boolean): Promise<void> {
  const stopper = new pg.Client({
    connectionString: config.url,
    connectionTimeoutMillis: config.pool.connect_timeout_ms,
    application_name: 'bastion-cancel',
    options: '-c default_transaction_read_only=on',
    statement_timeout: STOP_STATEMENT_TIMEOUT_MS,
  });
  stopper.on('error', () => undefined);
  try {
    await stopper.connect();
    if (running()) await stopper.query(TERMINATE_BACKEND, [pid]);
  } finally {
    await stopper.end().catch(() => undefined);
  }
}

const TERMINATE_BACKEND = 'SELECT pg_catalog.pg_terminate_backend($1)';

function cutSocket(client: pg.PoolClient): void {
  (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
}

function transactionStatus(client: pg.PoolClient): string | undefined {
  const withStatus = client as unknown as { getTransactionStatus?: () => string | undefined };
  return withStatus.getTransactionStatus?.();
}

