import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PgliteSourceConfig } from '../../config/schema.js';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { packageRoot } from '../../util/package-root.js';
import type { ReadRequest, ReadResult, Source, WriteRequest, WriteResult } from '../../engine/source.js';
import { ConnectionSlots } from '../../engine/fair-share.js';
import { encodeParam } from '../postgres-family/wire/decode.js';
import { toBastionError } from '../postgres-family/wire/errors.js';
import { demoInit } from './demo.js';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './worker.js';
import type { PgliteLimits } from './protocol-read.js';

/** One session, one caller at a time: a lock wait cannot happen, the limit is only a backstop. */
const PGLITE_LOCK_TIMEOUT_MS = 5_000;

/** A worker request before it gets its id (Omit, distributed over the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Call = WithoutId<WorkerRequest>;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  /** ReadRequest.quietData: the engine's error is mapped without the values it quotes. */
  quietData?: boolean | undefined;
}

/**
 * Embedded PostgreSQL (PGlite) in a worker thread. Calls run one at a time; a call
 * that outlives statement_timeout_ms terminates the worker, which is then started
 * again from the same data: a runaway query can never hold the server. A read the
 * client cancels ends the same way.
 */
export class PgliteSource implements Source {
  readonly engine = 'pglite' as const;
  readonly mode = 'read-only' as const;
  readonly guardsPlans = true as const;
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  /** One call at a time; past queue_timeout_ms of waiting, SOURCE_BUSY (fair-share.ts ConnectionSlots). */
  private readonly turn: ConnectionSlots;
  private readonly init: WorkerInit;

  constructor(
    readonly name: string,
    private readonly config: PgliteSourceConfig,
    private readonly log: Logger,
  ) {
    this.init = config.path !== undefined ? { dataDir: config.path } : demoInit();
    this.turn = new ConnectionSlots(1, config.queue_timeout_ms);
  }

  /** Starts the engine in the background so the first call does not wait for it. */
  warm(): void {
    this.start().catch((error: unknown) => this.log.error({ source: this.name, err: error }, 'embedded database failed to start'));
  }

  read(request: ReadRequest): Promise<ReadResult> {
    const call: Call = {
      type: 'read',
      limits: this.limits(),
      pinnedNames: request.pinnedNames === true,
      withoutIndexScans: request.withoutIndexScans === true,
      sql: request.sql,
      values: request.params.map(encodeParam),
      maxRows: request.maxRows,
      maxBytes: request.maxBytes,
      planBound: request.planBound,
    };
    return this.enqueue<ReadResult>(call, request.signal, request.quietData);
  }

  /**
   * One governed write inside the worker, in one transaction (see runGovernedWrite).
   * The time limit is the same as for reads: past it the worker is terminated and
   * restarted, and the uncommitted transaction dies with it.
   */
  write(request: WriteRequest): Promise<WriteResult> {
    if (!this.config.writes.enabled) return Promise.reject(new BastionError('DENIED_BY_POLICY', 'Writes are not enabled for this source.'));
    return this.enqueue<WriteResult>({ type: 'write', limits: this.limits(), request }, undefined, request.quietData);
  }

  private limits(): PgliteLimits {
    const { config } = this;
    return [String(config.statement_timeout_ms), String(PGLITE_LOCK_TIMEOUT_MS), `${config.work_mem_mb}MB`, `${config.temp_file_limit_mb}MB`];
  }

  private async enqueue<T>(call: Call, signal?: AbortSignal, quietData?: boolean): Promise<T> {
    const release = await this.turn.acquire(signal);
    try {
      return await this.runOne<T>(call, signal, quietData);
    } finally {
      release();
    }
  }

  private async runOne<T>(call: Call, signal?: AbortSignal, quietData?: boolean): Promise<T> {
    if (signal?.aborted === true) throw new BastionError('QUERY_CANCELLED');
    const worker = await this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // The engine has no way to interrupt a statement from outside its thread: stop the thread.
      const stop = (error: BastionError, reason: string): void => {
        finish();
        this.pending.delete(id);
        reject(error);
        void this.restart(reason);
      };
      const timer = setTimeout(() => stop(new BastionError('QUERY_TIMEOUT'), 'statement timeout'), this.config.statement_timeout_ms);
      const onAbort = (): void => stop(new BastionError('QUERY_CANCELLED'), 'the client cancelled the call');
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted === true) {
        // Cancelled while the engine was starting: the statement never runs.
        finish();
        reject(new BastionError('QUERY_CANCELLED'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (result) => {
          finish();
          resolve(result as T);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
        quietData,
      });
      worker.postMessage({ ...call, id });
    });
  }

  private start(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(join(packageRoot(), 'dist', 'engines', 'pglite', 'worker.js'), { workerData: this.init });
      this.worker = worker;
      worker.on('message', (message: WorkerResponse) => {
        switch (message.type) {
          case 'ready':
            resolve(worker);
            break;
          case 'fatal':
            reject(new BastionError('SOURCE_UNAVAILABLE', undefined, message.message));
            this.ready = undefined;
            void worker.terminate();
            break;
          case 'result': {
            const recycle = typeof message.result === 'object' && message.result !== null && 'recycle' in message.result;
            const result = recycle ? withoutRecycle(message.result as { recycle: true }) : message.result;
            this.pending.get(message.id)?.resolve(result);
            this.pending.delete(message.id);
            // A row too large to read was still built in the engine's memory: give it back.
            if (recycle) void this.restart('a row too large to read grew the engine\'s memory');
            break;
          }
          case 'error': {
            const pending = this.pending.get(message.id);
            pending?.reject(message.refusal !== undefined ? new BastionError(message.refusal.code, message.refusal.message) : toBastionError(message.error, pending.quietData));
            this.pending.delete(message.id);
            if (message.fatal) void this.restart('the engine left a transaction open or grew its memory for an oversized answer');
            break;
          }
        }
      });
      worker.on('error', (error) => {
        this.log.error({ source: this.name, err: error }, 'embedded database worker failed');
        reject(new BastionError('SOURCE_UNAVAILABLE', undefined, error));
      });
      worker.on('exit', () => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
          for (const p of this.pending.values()) p.reject(new BastionError('SOURCE_UNAVAILABLE'));
          this.pending.clear();
        }
      });
    });
    return this.ready;
  }

  private async restart(reason: string): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    this.log.warn({ source: this.name, reason }, 'restarting the embedded database');
    for (const p of this.pending.values()) p.reject(new BastionError('SOURCE_UNAVAILABLE'));
    this.pending.clear();
    if (worker !== undefined) await worker.terminate();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}

function withoutRecycle(result: { recycle: true }): unknown {
  const copy: Record<string, unknown> = { ...result };
  delete copy['recycle'];
  return copy;
}
