import pg from 'pg';
import type { PostgresSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import type { ReadRequest, ReadResult, Source } from '../source.js';
import { encodeParam } from '../wire/decode.js';
import { toBastionError } from '../wire/errors.js';
import { SET_LOCAL_LIMITS, SET_LOCAL_LIMITS_AND_ROLE } from '../wire/statements.js';
import { GuardedRead } from './guarded-read.js';

/** How many multi-batch statement texts to remember before starting over. */
const MULTI_BATCH_MEMORY = 1000;

/** Seconds added to the server-side timeout before the client gives up on a silent server. */
const CLIENT_GRACE_MS = 5_000;

/**
 * PostgreSQL through a pg pool. Connections start with read-only defaults and
 * server-side timeouts; every call also opens its own READ ONLY transaction with
 * SET LOCAL limits and rolls it back. A connection that saw an error or did not
 * come back idle is destroyed, never returned to the pool.
 */
export class PostgresSource implements Source {
  readonly engine = 'postgres' as const;
  readonly mode = 'read-only' as const;
  private readonly pool: pg.Pool;
  private readonly limits: { text: string; values: (string | null)[] };

  constructor(
    readonly name: string,
    private readonly config: PostgresSourceConfig,
    private readonly log: Logger,
  ) {
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
    const timeouts = [String(config.statement_timeout_ms), String(config.lock_timeout_ms)];
    this.limits =
      config.role === undefined
        ? { text: SET_LOCAL_LIMITS, values: timeouts }
        : { text: SET_LOCAL_LIMITS_AND_ROLE, values: [...timeouts, config.role] };
  }

  /** Statements that returned more than one batch: they go straight to the batched read. */
  private readonly multiBatch = new Set<string>();

  async read(request: ReadRequest): Promise<ReadResult> {
    if (this.multiBatch.has(request.sql)) return this.readOnce(request, 'batched');
    const first = await this.readOnce(request, 'single');
    if (first !== 'incomplete') return first;
    if (this.multiBatch.size >= MULTI_BATCH_MEMORY) this.multiBatch.clear();
    this.multiBatch.add(request.sql);
    return this.readOnce(request, 'batched');
  }

  private async readOnce(request: ReadRequest, mode: 'batched'): Promise<ReadResult>;
  private async readOnce(request: ReadRequest, mode: 'single'): Promise<ReadResult | 'incomplete'>;
  private async readOnce(request: ReadRequest, mode: 'single' | 'batched'): Promise<ReadResult | 'incomplete'> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new BastionError('SOURCE_UNAVAILABLE', undefined, error);
    }
    const guarded = new GuardedRead({
      sql: request.sql,
      values: request.params.map(encodeParam),
      maxRows: request.maxRows,
      maxBytes: request.maxBytes,
      limits: this.limits,
      mode,
    });
    let discard = true;
    const timer = setTimeout(() => {
      // The server should have cancelled the statement already; the socket is suspect.
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }, this.config.statement_timeout_ms + CLIENT_GRACE_MS);
    try {
      void client.query(guarded as unknown as pg.Submittable);
      const result = await guarded.done;
      discard = transactionStatus(client) !== 'I';
      return guarded.incomplete ? 'incomplete' : result;
    } catch (error) {
      throw toBastionError(error);
    } finally {
      clearTimeout(timer);
      client.release(discard ? true : undefined);
    }
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

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const PRIVILEGE_CHECK = 'SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user';

function transactionStatus(client: pg.PoolClient): string | undefined {
  const withStatus = client as unknown as { getTransactionStatus?: () => string | undefined };
  return withStatus.getTransactionStatus?.();
}

