import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { redactText } from '../../log/redact.js';
import { packageRoot } from '../../util/package-root.js';
import type { ReadRequest, ReadResult, ResultColumn, Source } from '../source.js';
import type { OriginIds } from '../origin-ids.js';
import type { WorkerColumn, WorkerRequest, WorkerResponse } from './worker.js';

interface Pending {
  resolve: (response: WorkerResponse) => void;
  reject: (error: Error) => void;
}

/** The compiled worker: next to this module when running from dist/, else in the package's dist/. */
function workerPath(): string {
  const sibling = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(sibling) ? sibling : join(packageRoot(), 'dist', 'sources', 'sqlite', 'worker.js');
}

/**
 * A SQLite database file, read-only, in a child process (see worker.ts). Calls run
 * one at a time; a call that outlives statement_timeout_ms kills the process, and
 * the next call starts a new one. The file is opened on first use, so a missing
 * file makes calls fail with SOURCE_UNAVAILABLE until it exists.
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
  ) {}

  read(request: ReadRequest): Promise<ReadResult> {
    const run = this.tail.then(() => this.runOne(request));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runOne(request: ReadRequest): Promise<ReadResult> {
    const child = this.start();
    const id = this.nextId++;
    const response = await new Promise<WorkerResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BastionError('QUERY_TIMEOUT'));
        this.stop('statement timeout');
      }, this.config.statement_timeout_ms);
      const settle = <T>(fn: (value: T) => void) => (value: T): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        fn(value);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      const message: WorkerRequest = { type: 'read', id, sql: request.sql, params: [...request.params], maxRows: request.maxRows, maxBytes: request.maxBytes };
      child.send(message);
    });
    if (!response.ok) throw this.toError(response);
    const { result } = response;
    const base = { columns: result.columns.map((c) => this.column(c)), rows: result.rows, bytes: result.bytes };
    return result.truncatedBy === undefined ? { ...base, truncated: false } : { ...base, truncated: true, truncatedBy: result.truncatedBy };
  }

  private column(c: WorkerColumn): ResultColumn {
    if (c.database === null || c.table === null || c.column === null) return { name: c.name, type: c.type };
    return { name: c.name, type: c.type, origin: this.origins.of(c.database, c.table, c.column) };
  }

  /** Maps a worker failure to the closed codes; SQLite's text is shown only for statement errors, redacted. */
  private toError(response: Extract<WorkerResponse, { ok: false }>): BastionError {
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
      case 'failed':
        break;
    }
    if (code.startsWith('SQLITE_READONLY')) return new BastionError('SQL_NOT_READ_ONLY', 'The database refused a write: the source is read-only.', detail);
    if (code === 'SQLITE_AUTH') return new BastionError('DENIED_BY_POLICY', 'The database denied the statement.', detail);
    if (/^SQLITE_(CANTOPEN|NOTADB|CORRUPT|IOERR|PERM|FULL|NOMEM|BUSY|LOCKED|PROTOCOL)/u.test(code)) {
      return new BastionError('SOURCE_UNAVAILABLE', undefined, detail);
    }
    if (code === 'SQLITE_ERROR' || code === 'SQLITE_MISMATCH' || code === 'SQLITE_RANGE' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_CONSTRAINT') {
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
    const init: WorkerRequest = { type: 'init', path: this.config.path };
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
