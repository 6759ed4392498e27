import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { packageRoot } from '../../util/package-root.js';
import type { ReadRequest, ReadResult, ResultColumn, Source, WriteRequest, WriteResult } from '../../engine/source.js';
import type { OriginIds } from '../../engine/origin-ids.js';
import { ConnectionSlots } from '../../engine/fair-share.js';
import type { ShadowedRelations } from '../../engine/protection.js';
import type { WorkerColumn, WorkerRequest, WorkerResponse, WorkerShadows, WorkerWriteResult } from './worker-protocol.js';
import type { PlanSqliteWrite, SqliteWritePlan } from './write-plan.js';
import { timeoutMessage, toBastionError, writeRefusal, type WorkerFailed } from './errors.js';

interface Pending {
  resolve: (response: WorkerResponse) => void;
  reject: (error: Error) => void;
}

/** The compiled worker: next to this module when running from dist/, else in the package's dist/. */
function workerPath(): string {
  const sibling = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(sibling) ? sibling : join(packageRoot(), 'dist', 'engines', 'sqlite', 'worker.js');
}

/** The tables a read must see shadowed, as the worker takes them (names compared as SQLite compares them). */
function workerShadows(shadows: ShadowedRelations): WorkerShadows {
  return {
    relations: shadows.relations.map((r) => ({ name: r.name, columns: r.columns.map((c) => ({ name: c.name.toLowerCase(), treatment: c.treatment })) })),
    hashKey: shadows.hashKey,
    ...(shadows.views === undefined ? {} : { views: shadows.views.map((v) => ({ name: v.name, sql: v.sql })) }),
  };
}

/** How many sample rows a dry run returns when the request does not say. */
const SAMPLE_ROWS = 20;

/**
 * A SQLite database file in a child process (see worker.ts). Calls run one at a
 * time, reads and writes on one queue; a call that outlives statement_timeout_ms,
 * or a read its client cancels while it runs, kills the process (better-sqlite3 has
 * no interrupt), and the next call starts a new one. The file is opened on
 * first use, so a missing file makes calls fail with SOURCE_UNAVAILABLE until it
 * exists. Reads use a read-only connection; with writes enabled (`planWrite`
 * given) governed writes use a second, writable one, opened on the first write.
 */
/*
 * The worker's memory is bounded by the source's worker_memory_mb (RLIMIT_DATA: SQLite's
 * allocations, buffers, the V8 heap; default 1 GiB) and worker_heap_mb (the V8 heap; default
 * 512 MiB). The better-sqlite3 build keeps no memory statistics, so SQLite's own heap limits do
 * nothing; the kernel's limit does: past it SQLite answers "out of memory" and the call fails
 * (QUERY_FAILED) while the worker lives on. A V8 heap past its own bound ends the worker instead
 * (the call answers SOURCE_UNAVAILABLE, the next starts a new one); the server is untouched either way.
 */

/** util-linux `prlimit`, which sets the limit and then becomes the worker (same process). */
const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));

/** Whether the worker's data memory is bounded by the kernel here (prlimit present); else only its heap is. */
export const WORKER_DATA_BOUNDED = PRLIMIT !== undefined;

function spawnWorker(config: SqliteSourceConfig): ChildProcess {
  const options: SpawnOptions & ForkOptions = { serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: {} };
  const node = [`--max-old-space-size=${config.worker_heap_mb}`, workerPath()];
  if (PRLIMIT === undefined) return fork(workerPath(), [], { ...options, execArgv: node.slice(0, 1) });
  return spawn(PRLIMIT, [`--data=${config.worker_memory_mb * 1024 * 1024}`, '--', process.execPath, ...node], options);
}

/** How long a worker may take to load before the source counts as unavailable (a busy machine is slow to start one). */
const STARTUP_MS = 30_000;

export class SqliteSource implements Source {
  readonly engine = 'sqlite' as const;
  readonly mode = 'read-only' as const;
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly readiness = new WeakMap<ChildProcess, Promise<void>>();
  private nextId = 1;
  private readonly turn: ConnectionSlots;

  constructor(
    readonly name: string,
    private readonly config: SqliteSourceConfig,
    private readonly log: Logger,
    private readonly origins: OriginIds,
    /** The write policy with the source's options bound in; present only when writes.enabled. */
    private readonly planWrite?: PlanSqliteWrite,
  ) {
    this.turn = new ConnectionSlots(1, config.queue_timeout_ms);
    if (!WORKER_DATA_BOUNDED) {
      log.warn({ source: name }, 'util-linux prlimit was not found: the SQLite worker\'s data memory (worker_memory_mb) is not bounded here, only its JavaScript heap (worker_heap_mb)');
    }
  }

  read(request: ReadRequest): Promise<ReadResult> {
    return this.enqueue(() => this.runRead(request), request.signal);
  }

  /**
   * One governed write. The engine plans the statement again (its own view of what
   * it may touch, not the caller's) and refuses a statement that is not the one
   * the policy checked; the worker then checks the effect itself (see worker-write.ts).
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    const plan = this.plan(request);
    return this.enqueue(() => this.runWrite(request, plan));
  }

  /**
   * One call at a time, in order of arrival; a call that cannot start within queue_timeout_ms
   * gets SOURCE_BUSY (fair-share.ts ConnectionSlots), so one caller's slow statements hold
   * another up for at most that long.
   */
  private async enqueue<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.turn.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
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
      (id) => ({
        type: 'read',
        id,
        sql: request.sql,
        params: [...request.params],
        maxRows: request.maxRows,
        maxBytes: request.maxBytes,
        ...(request.shadows === undefined ? {} : { shadows: workerShadows(request.shadows) }),
      }),
      undefined,
      request.signal,
    );
    if (!response.ok) throw this.toError(response, request.quietData);
    if (!('result' in response)) throw new BastionError('INTERNAL', 'The SQLite worker answered a read with something else.');
    const { result } = response;
    const base = { columns: result.columns.map((c) => this.column(c)), rows: result.rows, bytes: result.bytes };
    return result.truncatedBy === undefined ? { ...base, truncated: false } : { ...base, truncated: true, truncatedBy: result.truncatedBy };
  }

  private async runWrite(request: WriteRequest, plan: SqliteWritePlan): Promise<WriteResult> {
    const { checked } = plan;
    // A DML dry run shows the rows as they would be: the policy's own RETURNING form of the statement.
    const sql = request.dryRun && request.withoutSample !== true && checked.tool === 'execute' && checked.sampleSql !== undefined ? checked.sampleSql : checked.sql;
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
    // The time limit is the statement's: a worker that is still starting (after a restart, on a
    // busy machine) does not spend it.
    await this.whenReady(child, signal);
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

  /** A write failure: the engine's own refusals (errors.ts), else the read mapping. */
  private writeError(response: WorkerFailed, request: WriteRequest): BastionError {
    return writeRefusal(response, request) ?? this.toError(response);
  }

  private toError(response: WorkerFailed, quietData?: boolean): BastionError {
    if (response.failure === 'unavailable') this.log.warn({ source: this.name, code: response.code ?? '' }, 'SQLite database could not be opened');
    return toBastionError(response, quietData);
  }

  /** Resolves when `child` has answered its `init`; SOURCE_UNAVAILABLE when it does not within STARTUP_MS or exits. */
  private whenReady(child: ChildProcess, signal?: AbortSignal): Promise<void> {
    let ready = this.readiness.get(child);
    if (ready === undefined) {
      ready = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new BastionError('SOURCE_UNAVAILABLE'));
          if (this.child === child) this.stop('worker did not start');
        }, STARTUP_MS);
        const onMessage = (response: WorkerResponse): void => {
          if (response.id !== 0) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve();
        };
        child.on('message', onMessage);
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new BastionError('SOURCE_UNAVAILABLE'));
        });
      });
      // A rejection nobody awaits yet must not become an unhandled one.
      ready.catch(() => undefined);
      this.readiness.set(child, ready);
    }
    if (signal === undefined) return ready;
    if (signal.aborted) return Promise.reject(new BastionError('QUERY_CANCELLED'));
    return Promise.race([ready, new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new BastionError('QUERY_CANCELLED')), { once: true }))]);
  }

  private start(): ChildProcess {
    if (this.child !== undefined) return this.child;
    // No inherited environment, loaders or stdio: the child gets the file path and nothing else.
    const child = spawnWorker(this.config);
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
