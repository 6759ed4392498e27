import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { MysqlSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { WriteTool } from '../../engine/policy.js';
import type { Logger } from '../../log/logger.js';
import type { WriteRequest, WriteResult } from '../../engine/source.js';
import type { Connection as CoreConnection } from 'mysql2';
import { ConnectionSlots } from '../../engine/fair-share.js';
import { CuttableCall, discard, watchDeath } from './cut.js';
import { PacketGate } from './packet-gate.js';
import { toBastionError } from './errors.js';
import { expectAll } from './write-catalog.js';
import type { MysqlWritePlan, ShowTarget } from './write-rules.js';
import { SESSION_SQL_MODE, encodeParam, type MysqlDriver } from './driver.js';

/** The policy's plan for a statement, as the guard gives it (cached by text). */
export type PlanWrite = (sql: string, tool: WriteTool) => MysqlWritePlan;

/** Writes are rare and serialised by approval: a small pool keeps them from crowding out reads. */
const WRITE_POOL_SIZE = 2;
/** Milliseconds after the server-side limit before the client gives up on a silent server. */
const CLIENT_GRACE_MS = 5_000;
/** SERVER_STATUS_IN_TRANS in the OK packet: a transaction is open on the server. */
const SERVER_STATUS_IN_TRANS = 0x0001;
/** ER_UNSUPPORTED_PS: this server cannot prepare the statement (it still parses it when it runs). */
const UNSUPPORTED_PS = 1295;

const DML_NOTICE =
  'MySQL/MariaDB has no RETURNING for UPDATE, so this dry run shows how many rows the statement affects, not the rows themselves. ' +
  'It ran inside a transaction that was rolled back.';
const DDL_NOTICE =
  'Validated, not run: MySQL/MariaDB commits a schema change implicitly, so a dry run cannot run it and roll it back. ' +
  'The server parsed and prepared the statement (syntax, and the tables a view or AS SELECT reads), and the catalog was checked ' +
  '(a new name is free; the table, view, index or columns it changes exist). The resulting definition is shown after a real run.';
const WRITE_CONNECTION_LOST =
  'The connection to the database closed while the change ran (it was ended on the server or the network failed). ' +
  'A change not yet committed was rolled back by the server; a schema change, or one whose COMMIT was under way, may have completed: check before trying again.';
const UNPREPARED_NOTICE =
  'Validated, not run: MySQL/MariaDB commits a schema change implicitly, so a dry run cannot run it and roll it back. ' +
  'This server cannot prepare the statement, so only the write policy and the catalog checks ran; the server parses it only when it runs for real.';

/**
 * Governed writes on MySQL/MariaDB, on a pool of their own (created on the first
 * write) whose sessions are not read-only; the read pool keeps its READ ONLY
 * sessions untouched. Same sql_mode as reads, one statement per call (mysql2's
 * multipleStatements stays off), no LOCAL INFILE, and a time limit on the server
 * (MariaDB's max_statement_time covers every statement; MySQL's max_execution_time
 * only SELECT, so the lock waits are bounded too) with a client-side backstop that
 * cuts the socket. A connection that saw any error is destroyed.
 *
 * DML runs in START TRANSACTION READ WRITE as a prepared statement, and is rolled
 * back on a dry run or over the cap. DDL commits implicitly in MySQL, so its dry
 * run never executes: the server prepares it (COM_STMT_PREPARE) and the catalog is
 * checked, and the answer says it was validated only. Before any real run, the
 * catalog checks the plan lists are the engine's own second layer.
 */
export class MysqlWriter {
  private pool: Pool | undefined;
  private flavour: Promise<'mariadb' | 'mysql'> | undefined;
  private readonly prepared = new WeakSet<object>();
  private readonly slots: ConnectionSlots;

  constructor(
    private readonly name: string,
    private readonly config: MysqlSourceConfig,
    private readonly log: Logger,
    private readonly driver: MysqlDriver,
    private readonly plan: PlanWrite,
  ) {
    this.slots = new ConnectionSlots(WRITE_POOL_SIZE, config.pool.acquire_timeout_ms);
  }

  /**
   * A write holds one of the writer's connections, waiting at most pool.acquire_timeout_ms
   * for one (then SOURCE_BUSY, as reads): mysql2's pool would queue it without bound.
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    // The engine's own view of the statement: the same policy, and what the catalog must show before it runs.
    const plan = this.plan(request.sql, request.kind === 'dml' ? 'execute' : 'change_schema');
    if (plan.checked.sql !== request.sql) throw new BastionError('INTERNAL', 'The statement changed between its check and its run.');
    const releaseSlot = await this.slots.acquire();
    try {
      return await this.writeOnSlot(request, plan);
    } finally {
      releaseSlot();
    }
  }

  private async writeOnSlot(request: WriteRequest, plan: MysqlWritePlan): Promise<WriteResult> {
    const connection = await this.connect();
    const call = new CuttableCall(connection);
    let clean = false;
    const timer = setTimeout(() => call.stop(new BastionError('QUERY_TIMEOUT', timeoutMessage(request))), this.config.statement_timeout_ms + CLIENT_GRACE_MS);
    // The connection died under the write (KILL from the server side, a restart, a cut network):
    // mysql2 may never fail the command in flight, so the call ends now, not at the time limit.
    const unwatch = watchDeath(connection.connection as unknown as CoreConnection, () => call.stop(new BastionError('SOURCE_UNAVAILABLE', WRITE_CONNECTION_LOST)));
    try {
      const result = await call.run(request.kind === 'dml' ? this.dml(connection, request, plan) : this.ddl(connection, request, plan));
      clean = true;
      return result;
    } catch (error) {
      if (call.reason !== undefined) throw new BastionError(call.reason.code, call.reason.message, error);
      throw toBastionError(error);
    } finally {
      clearTimeout(timer);
      unwatch();
      if (clean && call.reason === undefined) connection.release();
      else discard(connection);
    }
  }

  async close(): Promise<void> {
    await this.pool?.end();
  }

  private async dml(connection: PoolConnection, request: WriteRequest, plan: MysqlWritePlan): Promise<WriteResult> {
    await expectAll(connection, plan.expectations);
    await connection.query('START TRANSACTION READ WRITE');
    try {
      const [header] = await connection.execute<ResultSetHeader>(request.sql, request.params.map(encodeParam));
      connection.unprepare(request.sql);
      // A statement that ended the transaction (an implicit commit) is not a plain write: never report it as one.
      if ((header.serverStatus & SERVER_STATUS_IN_TRANS) === 0) {
        throw new BastionError('WRITE_NOT_ALLOWED', 'The statement ended the transaction on the server, so it was not a plain INSERT, UPDATE or DELETE.');
      }
      const affected = header.affectedRows;
      if (affected > request.maxAffectedRows) {
        await rollback(connection);
        throw new BastionError(
          'WRITE_LIMIT_EXCEEDED',
          `The statement affects ${affected} rows, more than the limit of ${request.maxAffectedRows}; it was rolled back and nothing changed.`,
        );
      }
      if (request.dryRun) {
        await rollback(connection);
        return { affected, committed: false, notice: DML_NOTICE };
      }
      await commit(connection);
      return { affected, committed: true };
    } catch (error) {
      // Best effort: the connection is destroyed next, which rolls back on the server anyway.
      await connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async ddl(connection: PoolConnection, request: WriteRequest, plan: MysqlWritePlan): Promise<WriteResult> {
    await expectAll(connection, plan.expectations);
    if (request.dryRun) {
      // COM_STMT_PREPARE parses and resolves without executing; the statement is closed at once.
      try {
        await connection.prepare(request.sql);
        connection.unprepare(request.sql);
      } catch (error) {
        if ((error as { errno?: unknown }).errno !== UNSUPPORTED_PS) throw error;
        return { affected: 0, committed: false, validatedOnly: true, notice: UNPREPARED_NOTICE };
      }
      return { affected: 0, committed: false, validatedOnly: true, notice: DDL_NOTICE };
    }
    // Autocommit is on: the statement commits implicitly, as every MySQL DDL does.
    await connection.query(request.sql);
    const definition = plan.show === undefined ? undefined : await showCreate(connection, plan.show);
    return { affected: 0, committed: true, ...(definition !== undefined ? { definition: capDefinition(definition, request.maxBytes) } : {}) };
  }

  /** A pooled write connection with the session set once: sql_mode, autocommit, the time limits. */
  private async connect(): Promise<PoolConnection> {
    this.pool ??= this.createPool();
    let connection: PoolConnection;
    try {
      connection = await this.pool.getConnection();
    } catch (error) {
      throw new BastionError('SOURCE_UNAVAILABLE', undefined, error);
    }
    if (this.prepared.has(connection.connection)) return connection;
    try {
      await connection.query(SESSION_SQL_MODE);
      await connection.query('SET SESSION autocommit = 1');
      const ms = this.config.statement_timeout_ms;
      if (await this.isMariadb(connection)) await connection.query('SET SESSION max_statement_time = ?', [ms / 1000]);
      else await connection.query('SET SESSION max_execution_time = ?', [ms]);
      // MySQL's max_execution_time covers SELECT only: bound the waits for row and metadata locks too.
      const seconds = Math.max(1, Math.ceil(ms / 1000));
      await connection.query('SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?', [seconds, seconds]);
      this.prepared.add(connection.connection);
      return connection;
    } catch (error) {
      discard(connection);
      throw toBastionError(error);
    }
  }

  private createPool(): Pool {
    const pool = this.driver.createPool({
      uri: this.config.url.replace(/^mariadb:/, 'mysql:'),
      connectionLimit: WRITE_POOL_SIZE,
      maxIdle: WRITE_POOL_SIZE,
      connectTimeout: this.config.pool.connect_timeout_ms,
      waitForConnections: true,
      queueLimit: 0,
      multipleStatements: false,
      // No LOAD DATA LOCAL INFILE: the client would send its own files to the server.
      flags: ['-LOCAL_FILES'],
      dateStrings: true,
      supportBigNumbers: true,
      enableKeepAlive: true,
    });
    pool.on('connection', (connection) => {
      connection.on('error', (error: unknown) => this.log.warn({ source: this.name, err: error }, 'mysql write connection failed; it was discarded'));
      // Never armed: writes read little (catalog checks, a definition), so the gate's fixed bound holds them.
      const gate = PacketGate.install(connection, (error) => this.log.error({ source: this.name, err: error }, 'an oversized or unreadable answer on a write connection; it was cut'));
      if (gate === undefined) this.log.warn({ source: this.name }, 'could not put the packet gate on a write connection');
    });
    return pool;
  }

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
}

/** ROLLBACK, refusing to call it clean when the server says part of the change could not be undone. */
async function rollback(connection: PoolConnection): Promise<void> {
  const [header] = await connection.query<ResultSetHeader>('ROLLBACK');
  // ER_WARNING_NOT_COMPLETE_ROLLBACK: a table without transactions (written by a trigger, say) kept its change.
  if (header.warningStatus > 0) {
    throw new BastionError('QUERY_FAILED', 'The rollback reported that part of the change could not be undone (a table without transactions was written); check the data.');
  }
}

async function commit(connection: PoolConnection): Promise<void> {
  try {
    await connection.query('COMMIT');
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    if (typeof errno === 'number' && errno < 2000) throw error; // refused by the server: rolled back
    throw new BastionError(
      'SOURCE_UNAVAILABLE',
      'The connection failed during COMMIT, so whether the change was committed is unknown; check the data before trying again.',
      error,
    );
  }
}

/** SHOW CREATE TABLE / VIEW, with the view's DEFINER account hidden (it names the service account and host). */
async function showCreate(connection: PoolConnection, target: ShowTarget): Promise<string | undefined> {
  const name = target.schema === undefined ? connection.escapeId(target.name) : `${connection.escapeId(target.schema)}.${connection.escapeId(target.name)}`;
  const [rows] = await connection.query({ sql: `SHOW CREATE ${target.type === 'view' ? 'VIEW' : 'TABLE'} ${name}`, rowsAsArray: true });
  const text = (rows as unknown[][])[0]?.[1];
  return typeof text === 'string' ? text.replace(/DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`/g, 'DEFINER=***') : undefined;
}

function timeoutMessage(request: WriteRequest): string | undefined {
  if (request.kind === 'ddl' && !request.dryRun) {
    return 'The schema change ran past its time limit and the connection was cut; it may still have completed on the server. Check before trying again.';
  }
  return undefined;
}

/** A definition past the byte cap is cut with a marker that says so, never silently. */
function capDefinition(definition: string, maxBytes: number): string {
  if (definition.length <= maxBytes) return definition;
  return `${definition.slice(0, maxBytes)}\n-- [cut at ${maxBytes} characters (limits.max_bytes): the definition goes on]`;
}
