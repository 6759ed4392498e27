import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { redactText } from '../../log/redact.js';
import { packageRoot } from '../../util/package-root.js';
import type { ReadRequest, ReadResult, ResultColumn, Source, WriteRequest, WriteResult } from '../../engine/source.js';
import type { OriginIds } from '../../engine/origin-ids.js';
import type { WorkerColumn, WorkerRequest, WorkerResponse, WorkerWriteResult } from './worker.js';
import type { PlanSqliteWrite, SqliteWritePlan } from './write-plan.js';

interface Pending {
  resolve: (response: WorkerResponse) => void;
  reject: (error: Error) => void;
}

/** The compiled worker: next to this module when running from dist/, else in the package's dist/. */
function workerPath(): string {
  const sibling = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(sibling) ? sibling : join(packageRoot(), 'dist', 'engines', 'sqlite', 'worker.js');
}

/** How many sample rows a dry run returns when the request does not say. */
const SAMPLE_ROWS = 20;

type Failure = Extract<WorkerResponse, { ok: false }>;

/**
 * A SQLite database file in a child process (see worker.ts). Calls run one at a
 * time, reads and writes on one queue; a call that outlives statement_timeout_ms,
 * or a read its client cancels while it runs, kills the process (better-sqlite3 has
 * no interrupt), and the next call starts a new one. The file is opened on
 * first use, so a missing file makes calls fail with SOURCE_UNAVAILABLE until it
 * exists. Reads use a read-only connection; with writes enabled (`planWrite`
 * given) governed writes use a second, writable one, opened on the first write.
 */
export class SqliteSource implements Source {
  readonly engine = 'sqlite' as const;
  readonly mode = 'read-only' as const;
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly config: SqliteSourceConfig,
    private readonly log: Logger,
    private readonly origins: OriginIds,
    /** The write policy with the source's options bound in; present only when writes.enabled. */
    private readonly planWrite?: PlanSqliteWrite,
  ) {}

  read(request: ReadRequest): Promise<ReadResult> {
    return this.enqueue(() => this.runRead(request));
  }

  /**
   * One governed write. The engine plans the statement again (its own view of what
   * it may touch, not the caller's) and refuses a statement that is not the one
   * the policy checked; the worker then checks the effect itself (see worker.ts).
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    const plan = this.plan(request);
    return this.enqueue(() => this.runWrite(request, plan));
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private plan(request: WriteRequest): SqliteWritePlan {
    if (this.planWrite === undefined) throw new BastionError('DENIED_BY_POLICY', 'Writes are not enabled for this source.');
    const plan = this.planWrite(request.sql, request.kind === 'dml' ? 'execute' : 'change_schema');
    if (plan.checked.sql !== request.sql) throw new BastionError('INTERNAL', 'The statement changed between its check and its run.');
    if (plan.checked.paramCount !== request.params.length) {
      throw new BastionError('INVALID_ARGUMENT', `The statement uses ${plan.checked.paramCount} parameter(s) but ${request.params.length} were given.`);
    }
    return plan;
  }

  private async runRead(request: ReadRequest): Promise<ReadResult> {
    // A read cancelled while it waited in the queue never starts.
    if (request.signal?.aborted === true) throw new BastionError('QUERY_CANCELLED');
    const response = await this.send(
      (id) => ({ type: 'read', id, sql: request.sql, params: [...request.params], maxRows: request.maxRows, maxBytes: request.maxBytes }),
      undefined,
      request.signal,
    );
    if (!response.ok) throw this.toError(response);
    if (!('result' in response)) throw new BastionError('INTERNAL', 'The SQLite worker answered a read with something else.');
    const { result } = response;
    const base = { columns: result.columns.map((c) => this.column(c)), rows: result.rows, bytes: result.bytes };
    return result.truncatedBy === undefined ? { ...base, truncated: false } : { ...base, truncated: true, truncatedBy: result.truncatedBy };
  }

  private async runWrite(request: WriteRequest, plan: SqliteWritePlan): Promise<WriteResult> {
    const { checked } = plan;
    // A DML dry run shows the rows as they would be: the policy's own RETURNING form of the statement.
    const sql = request.dryRun && checked.tool === 'execute' && checked.sampleSql !== undefined ? checked.sampleSql : checked.sql;
    const response = await this.send(
      (id) => ({
        type: 'write',
        id,
        kind: request.kind,
        sql,
        params: [...request.params],
        dryRun: request.dryRun,
        maxAffectedRows: request.maxAffectedRows,
        sampleRows: request.sampleRows ?? SAMPLE_ROWS,
        maxBytes: request.maxBytes,
        touches: [...plan.touches],
        ...(request.kind === 'ddl' && request.describe !== undefined ? { describe: request.describe.name } : {}),
      }),
      timeoutMessage(request),
    );
    if (!response.ok) throw this.writeError(response, request);
    if (!('written' in response)) throw new BastionError('INTERNAL', 'The SQLite worker answered a write with something else.');
    return this.writeResult(response.written);
  }

  private writeResult(written: WorkerWriteResult): WriteResult {
    const { sample, definition } = written;
    return {
      affected: written.affected,
      committed: written.committed,
      ...(sample !== undefined ? { sample: { columns: sample.columns.map((c) => this.column(c)), rows: sample.rows, truncated: sample.truncated } } : {}),
      ...(definition !== undefined ? { definition } : {}),
    };
  }

  /**
   * Sends one request and waits for its answer, or kills the worker when the time
   * limit passes or `signal` aborts (the statement stops with the process).
   */
  private async send(message: (id: number) => WorkerRequest, timeout?: string, signal?: AbortSignal): Promise<WorkerResponse> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise<WorkerResponse>((resolve, reject) => {
      const end = (error: BastionError, reason: string): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        reject(error);
        this.stop(reason);
      };
      const timer = setTimeout(() => end(new BastionError('QUERY_TIMEOUT', timeout), 'statement timeout'), this.config.statement_timeout_ms);
      const onAbort = (): void => end(new BastionError('QUERY_CANCELLED'), 'cancelled by the client');
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(fn: (value: T) => void) => (value: T): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        fn(value);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      child.send(message(id));
    });
  }

  private column(c: WorkerColumn): ResultColumn {
    if (c.database === null || c.table === null || c.column === null) return { name: c.name, type: c.type };
    return { name: c.name, type: c.type, origin: this.origins.of(c.database, c.table, c.column) };
  }

  /**
   * A write failure: the engine's own refusals first (each after ROLLBACK in the
   * worker, so nothing changed), then the read mapping.
   */
  private writeError(response: Failure, request: WriteRequest): BastionError {
    const detail = { code: response.code ?? '', message: response.message };
    const undone = 'It was rolled back and nothing changed.';
    switch (response.failure) {
      case 'writes-disabled':
        return new BastionError('DENIED_BY_POLICY', 'Writes are not enabled for this source.', detail);
      case 'not-a-write':
        return new BastionError('WRITE_NOT_ALLOWED', `SQLite reports that this statement is not a plain write (it only reads, or controls the transaction). ${undone}`, detail);
      case 'schema-changed':
        return new BastionError(
          'WRITE_NOT_ALLOWED',
          request.kind === 'dml'
            ? `The statement changed the database schema, which execute never does. ${undone}`
            : `The statement changed objects in the schema other than those it names. ${undone}`,
          detail,
        );
      case 'rows-changed':
        return new BastionError(
          'WRITE_NOT_ALLOWED',
          `The schema change also changed rows (a foreign-key action, or the implicit delete when dropping a table other tables reference). ${undone} ` +
            'Drop the referencing tables or delete their rows first.',
          detail,
        );
      case 'breaks-dependents':
        return new BastionError(
          'WRITE_NOT_ALLOWED',
          `A view or trigger that this change does not name depends on what it drops or changes, and would stop working. ${undone} ` +
            'Change or drop that view or trigger first.',
          detail,
        );
      case 'limit':
        return new BastionError(
          'WRITE_LIMIT_EXCEEDED',
          `The statement changes ${response.changed ?? 'more'} rows (counting those changed by triggers and foreign-key actions), more than the limit of ${request.maxAffectedRows}. ${undone}`,
          detail,
        );
      default:
        if (response.code?.startsWith('SQLITE_READONLY') === true) {
          return new BastionError('WRITE_NOT_ALLOWED', `SQLite could not write: the database file, or its folder (for the journal), is read-only to this server. Nothing changed.`, detail);
        }
        return this.toError(response);
    }
  }

  /** Maps a worker failure to the closed codes; SQLite's text is shown only for statement errors, redacted. */
  private toError(response: Failure): BastionError {
    const code = response.code ?? '';
    const detail = { code, message: response.message };
    switch (response.failure) {
      case 'unavailable':
        this.log.warn({ source: this.name, code }, 'SQLite database could not be opened');
        return new BastionError('SOURCE_UNAVAILABLE', undefined, detail);
      case 'multiple':
        return new BastionError('SQL_MULTIPLE_STATEMENTS', undefined, detail);
      case 'not-read-only':
        return new BastionError('SQL_NOT_READ_ONLY', 'SQLite reports that this statement does not only read.', detail);
      default:
        break;
    }
    if (code.startsWith('SQLITE_READONLY')) return new BastionError('SQL_NOT_READ_ONLY', 'The database refused a write: the source is read-only.', detail);
    if (code === 'SQLITE_AUTH') return new BastionError('DENIED_BY_POLICY', 'The database denied the statement.', detail);
    if (/^SQLITE_(CANTOPEN|NOTADB|CORRUPT|IOERR|PERM|FULL|NOMEM|BUSY|LOCKED|PROTOCOL)/u.test(code)) {
      return new BastionError('SOURCE_UNAVAILABLE', undefined, detail);
    }
    // Extended codes too: a write's constraint failure comes as SQLITE_CONSTRAINT_UNIQUE, _FOREIGNKEY ...
    if (/^SQLITE_(ERROR|MISMATCH|RANGE|TOOBIG|CONSTRAINT)(_[A-Z]+)?$/u.test(code)) {
      const text = typeof response.message === 'string' ? `: ${redactText(response.message).slice(0, 300)}` : '.';
      return new BastionError('QUERY_FAILED', `The database rejected the statement${text}`, detail);
    }
    return new BastionError('QUERY_FAILED', undefined, detail);
  }

  private start(): ChildProcess {
    if (this.child !== undefined) return this.child;
    // No inherited environment, loaders or stdio: the child gets the file path and nothing else.
    const child = fork(workerPath(), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: {}, execArgv: [] });
    this.child = child;
    child.on('message', (response: WorkerResponse) => this.pending.get(response.id)?.resolve(response));
    child.on('error', (error) => this.log.error({ source: this.name, err: error }, 'SQLite worker failed'));
    child.on('exit', () => {
      if (this.child !== child) return;
      this.child = undefined;
      for (const p of this.pending.values()) p.reject(new BastionError('SOURCE_UNAVAILABLE'));
      this.pending.clear();
    });
    const init: WorkerRequest = { type: 'init', path: this.config.path, writes: this.planWrite !== undefined };
    child.send(init);
    return child;
  }

  private stop(reason: string): void {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    this.log.warn({ source: this.name, reason }, 'restarting the SQLite worker');
    for (const p of this.pending.values()) p.reject(new BastionError('SOURCE_UNAVAILABLE'));
    this.pending.clear();
    child.kill('SIGKILL');
  }

  close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/** After a timeout the worker was killed; SQLite rolls back an open transaction when the file is next opened. */
function timeoutMessage(request: WriteRequest): string {
  if (request.dryRun) return 'The statement ran past its time limit and was stopped; its transaction was never committed, so nothing changed.';
  return (
    'The change ran past its time limit and was stopped before it reported back; SQLite rolls back a transaction that had not committed, ' +
    'so it is almost certainly not applied. Check the data before trying again.'
  );
}
