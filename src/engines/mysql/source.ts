import type { Connection as CoreConnection, FieldPacket } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { MysqlSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import type { PoolStats, ReadRequest, ReadResult, ResultColumn, Source, WriteRequest, WriteResult } from '../../engine/source.js';
import { CONNECTION_LOST, CuttableCall, discard, watchDeath } from './cut.js';
import { ConnectionSlots } from '../../engine/fair-share.js';
import { toBastionError } from './errors.js';
import type { OriginIds } from '../../engine/origin-ids.js';
import type { MysqlWriter } from './write.js';
import { SESSION_SQL_MODE, encodeParam, type MysqlDriver } from './driver.js';
import { PacketGate, SMALL_PACKET } from './packet-gate.js';

/** Milliseconds after the server-side limit before the client gives up on a silent server. */
const CLIENT_GRACE_MS = 5_000;
/** ER_NO_SUCH_THREAD: KILL named a thread that has ended. */
const NO_SUCH_THREAD = 1094;
/** Per-value overhead counted on top of the text, so many tiny values still hit the byte cap. */
const VALUE_OVERHEAD = 4;

interface Streamed {
  readonly result: ReadResult;
  /** False when a cap stopped the read: rows are still on the wire and the connection must go. */
  readonly complete: boolean;
}

/**
 * MySQL or MariaDB through a mysql2 pool, read-only. The pool is lazy: nothing
 * connects until the first call, so an unreachable server makes calls fail with
 * SOURCE_UNAVAILABLE and recovers by itself. Each connection is set once to READ
 * ONLY transactions (MariaDB lets DDL commit the open transaction implicitly and
 * run outside it, so START TRANSACTION READ ONLY alone does not stop CREATE/DROP)
 * and each call runs in its own START TRANSACTION READ ONLY with the server-side
 * time limit, then ROLLBACK. A connection that saw an error or was cut is destroyed.
 * Every connection's bytes pass a packet gate (packet-gate.ts): a row that cannot fit
 * the bytes left is never read. A read cut at a cap, or one the client cancels (its
 * signal aborts), is stopped with KILL QUERY from another connection, and its own
 * connection is destroyed.
 */
export class MysqlSource implements Source {
  readonly engine = 'mysql' as const;
  readonly mode = 'read-only' as const;
  private readonly pool: Pool;
  private readonly typeNames: Map<number, string>;
  private readonly prepared = new WeakSet<CoreConnection>();
  private flavour: Promise<'mariadb' | 'mysql'> | undefined;
  private readonly slots: ConnectionSlots;
  private readonly gates = new WeakMap<CoreConnection, PacketGate>();

  constructor(
    readonly name: string,
    private readonly config: MysqlSourceConfig,
    private readonly log: Logger,
    driver: MysqlDriver,
    private readonly origins: OriginIds,
    /** Present when writes.enabled: governed writes on a pool of their own (write.ts). */
    private readonly writer?: MysqlWriter,
  ) {
    this.slots = new ConnectionSlots(config.pool.max, config.pool.acquire_timeout_ms);
    this.pool = driver.createPool({
      uri: config.url.replace(/^mariadb:/, 'mysql:'),
      connectionLimit: config.pool.max,
      maxIdle: config.pool.max,
      connectTimeout: config.pool.connect_timeout_ms,
      waitForConnections: true,
      queueLimit: 0,
      multipleStatements: false,
      // No LOAD DATA LOCAL INFILE: the client would send its own files to the server.
      flags: ['-LOCAL_FILES'],
      dateStrings: true,
      supportBigNumbers: true,
      decimalNumbers: false,
      enableKeepAlive: true,
    });
    this.typeNames = new Map(Object.entries(driver.Types).map(([typeName, id]) => [id, typeName.toLowerCase()]));
    this.pool.on('connection', (connection) => {
      connection.on('error', (error: unknown) => this.log.warn({ source: name, err: error }, 'mysql connection failed; it was discarded'));
      // Every byte from the server passes the packet gate before mysql2 parses it (packet-gate.ts).
      const gate = PacketGate.install(connection, (error) =>
        this.log.error({ source: name, err: error }, 'a database answer outside any call could not be read; its connection was cut'),
      );
      if (gate !== undefined) this.gates.set(connection as unknown as CoreConnection, gate);
      else this.log.warn({ source: name }, 'could not put the packet gate on a database connection; its rows are bounded only by max_allowed_packet');
    });
  }

  /**
   * A read holds one of pool.max slots while it has a connection, waiting at most
   * pool.acquire_timeout_ms for one (then SOURCE_BUSY): mysql2's pool itself would queue
   * the call without bound, and a failure to connect stays SOURCE_UNAVAILABLE.
   */
  async read(request: ReadRequest): Promise<ReadResult> {
    if (isAborted(request.signal)) throw new BastionError('QUERY_CANCELLED');
    const releaseSlot = await this.slots.acquire(request.signal);
    try {
      return await this.readOnSlot(request);
    } finally {
      releaseSlot();
    }
  }

  private async readOnSlot(request: ReadRequest): Promise<ReadResult> {
    const { signal } = request;
    if (isAborted(signal)) throw new BastionError('QUERY_CANCELLED');
    const connection = await this.connect();
    const call = new CuttableCall(connection);
    let clean = false;
    const timer = setTimeout(() => call.stop(new BastionError('QUERY_TIMEOUT')), this.config.statement_timeout_ms + CLIENT_GRACE_MS);
    // The client cancelled: the server stops the statement (KILL QUERY on another
    // connection; a cut socket alone would leave it running), and the connection goes.
    const thread = coreOf(connection).threadId;
    const onAbort = (): void => {
      call.stop(new BastionError('QUERY_CANCELLED'));
      this.killQuery(thread, 'a cancelled read');
    };
    // It may have come while a connection was found.
    if (isAborted(signal)) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    // The connection died under the call (KILL from the server side, a restart, a cut network):
    // mysql2 may never fail the command in flight, so the call ends now, not at the time limit.
    const unwatch = watchDeath(coreOf(connection), () => call.stop(new BastionError('SOURCE_UNAVAILABLE', CONNECTION_LOST)));
    try {
      const streamed = await call.run(
        (async () => {
          await connection.query('START TRANSACTION READ ONLY');
          const result = await this.stream(coreOf(connection), request);
          if (result.complete) {
            await connection.query('ROLLBACK');
            clean = true;
          } else {
            // Rows (or a row too large to read) are still coming: the connection goes (finally), and
            // the server stops the statement now rather than when it next writes to a cut socket.
            this.killQuery(thread, 'a read cut at its cap');
          }
          return result;
        })(),
      );
      return streamed.result;
    } catch (error) {
      if (call.reason !== undefined) throw new BastionError(call.reason.code, call.reason.message, error);
      throw toBastionError(error, request.quietData);
    } finally {
      clearTimeout(timer);
      unwatch();
      signal?.removeEventListener('abort', onAbort);
      if (clean && call.reason === undefined) connection.release();
      else discard(connection);
    }
  }

  /**
   * KILL QUERY on another connection of the pool (the statement's own is being cut). A thread
   * that is already gone (ER_NO_SUCH_THREAD: the cut reached the server first) is the goal.
   */
  private killQuery(thread: number | null | undefined, what: string): void {
    if (typeof thread !== 'number' || !Number.isSafeInteger(thread)) return;
    this.pool.query(`KILL QUERY ${thread}`).catch((error: unknown) => {
      if ((error as { errno?: unknown }).errno === NO_SUCH_THREAD) return;
      this.log.warn({ source: this.name, err: error }, `mysql: KILL QUERY for ${what} failed`);
    });
  }

  /**
   * mysql2 publishes no pool counts, so they are read from its core pool's queues
   * (`_allConnections`, `_freeConnections`, `_connectionQueue`, mysql2 3.x). A field a
   * later version renames counts as 0 rather than failing the scrape. Reads waiting for a
   * connection slot (see read) count as waiting too.
   */
  poolStats(): PoolStats {
    const core = (this.pool as unknown as { pool?: CorePoolInternals }).pool;
    return { total: lengthOf(core?._allConnections), idle: lengthOf(core?._freeConnections), waiting: lengthOf(core?._connectionQueue) + this.slots.stats().waiting };
  }

  /** One governed write, on the writer's own pool: reads keep their READ ONLY sessions. */
  write(request: WriteRequest): Promise<WriteResult> {
    if (this.writer === undefined) return Promise.reject(new BastionError('DENIED_BY_POLICY', 'Writes are not enabled for this source.'));
    return this.writer.write(request);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.writer?.close()]);
  }

  /** A pooled connection with the session defaults set once (read-only transactions, sql_mode). */
  private async connect(): Promise<PoolConnection> {
    let connection: PoolConnection;
    try {
      connection = await this.pool.getConnection();
    } catch (error) {
      throw new BastionError('SOURCE_UNAVAILABLE', undefined, error);
    }
    if (this.prepared.has(coreOf(connection))) return connection;
    try {
      await connection.query('SET SESSION TRANSACTION READ ONLY');
      await connection.query(SESSION_SQL_MODE);
      // The time limit is the source's, the same for every call: set once per connection.
      const mariadb = await this.isMariadb(connection);
      const ms = this.config.statement_timeout_ms;
      await connection.query(mariadb ? 'SET SESSION max_statement_time = ?' : 'SET SESSION max_execution_time = ?', [mariadb ? ms / 1000 : ms]);
      this.prepared.add(coreOf(connection));
      return connection;
    } catch (error) {
      discard(connection);
      throw toBastionError(error);
    }
  }

  /** MariaDB and MySQL name the server-side time limit differently; asked once per pool, on the connection being prepared. */
  private async isMariadb(connection: PoolConnection): Promise<boolean> {
    this.flavour ??= (async () => {
      const [rows] = await connection.query({ sql: 'SELECT VERSION()', rowsAsArray: true });
      const version = (rows as unknown[][])[0]?.[0];
      return typeof version === 'string' && /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    })();
    this.flavour.catch(() => {
      this.flavour = undefined;
    });
    return (await this.flavour) === 'mariadb';
  }

  /**
   * Runs the statement as a server-side prepared statement and takes rows as they
   * arrive, stopping at the row or byte cap: a million-row result is never loaded.
   */
  private stream(core: CoreConnection, request: ReadRequest): Promise<Streamed> {
    const gate = this.gates.get(core);
    return new Promise<Streamed>((resolve, reject) => {
      let columns: ResultColumn[] = [];
      const rows: unknown[][] = [];
      let bytes = 0;
      let settled = false;
      const finish = (truncatedBy: 'rows' | 'bytes' | undefined): void => {
        if (settled) return;
        settled = true;
        gate?.arm(undefined);
        const base = { columns, rows, bytes };
        if (truncatedBy === undefined) resolve({ result: { ...base, truncated: false }, complete: true });
        else {
          core.pause();
          resolve({ result: { ...base, truncated: true, truncatedBy }, complete: false });
        }
      };
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        gate?.arm(undefined);
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      // A value counts at least a third of its bytes on the wire (UTF-8; hex for binary), so a
      // longer packet cannot fit the bytes left and is never read (see packet-gate.ts).
      gate?.arm({
        packetAllowance: () => Math.max(SMALL_PACKET, 3 * (request.maxBytes - bytes) + 16),
        tooLarge: () => finish(rows.length >= request.maxRows ? 'rows' : 'bytes'),
        fault: (error) => {
          this.log.error({ source: this.name, err: error }, 'reading an answer failed; the call failed and its connection was cut');
          fail(new BastionError('INTERNAL', undefined, error));
        },
      });
      const command = core.execute({ sql: request.sql, values: request.params.map(encodeParam), rowsAsArray: true });
      command.on('fields', (fields: FieldPacket[] | undefined) => {
        columns = (fields ?? []).map((field) => this.describe(field));
      });
      command.on('result', (row: unknown) => {
        if (settled || !Array.isArray(row)) return;
        if (rows.length >= request.maxRows) return finish('rows');
        let size = 0;
        const values = row.map((value: unknown) => {
          const shown = showValue(value);
          size += sizeOf(shown) + VALUE_OVERHEAD;
          return shown;
        });
        if (bytes + size > request.maxBytes) return finish('bytes');
        bytes += size;
        rows.push(values);
      });
      command.on('error', (error: unknown) => fail(error));
      command.on('end', () => finish(undefined));
    });
  }

  private describe(field: FieldPacket): ResultColumn {
    const type = this.typeNames.get(field.columnType ?? field.type ?? -1) ?? 'unknown';
    const db = field.db ?? field.schema;
    if (db && field.orgTable && field.orgName) {
      return { name: field.name, type, origin: this.origins.of(db, field.orgTable, field.orgName) };
    }
    return { name: field.name, type };
  }
}

/** The parts of mysql2's core pool that poolStats reads; any of them may be missing. */
interface CorePoolInternals {
  readonly _allConnections?: unknown;
  readonly _freeConnections?: unknown;
  readonly _connectionQueue?: unknown;
}

function lengthOf(queue: unknown): number {
  const length = (queue as { length?: unknown } | null | undefined)?.length;
  return typeof length === 'number' && Number.isFinite(length) ? length : 0;
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The callback connection under a promise one (mysql2's typings call it a promise Connection). */
function coreOf(connection: PoolConnection): CoreConnection {
  return connection.connection as unknown as CoreConnection;
}

/** Values as a client can show them: binary as \x hex (like PostgreSQL's bytea), bigints as text. */
function showValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

function sizeOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  return JSON.stringify(value).length;
}
