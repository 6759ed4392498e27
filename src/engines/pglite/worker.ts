/**
 * Runs an embedded PGlite database in a worker thread. PGlite executes on the
 * thread that owns it and does not honour statement_timeout, so the owning thread
 * is a worker the main thread can terminate when a call runs past its limit.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { BastionError, type ErrorCode } from '../../errors/codes.js';
import type { WriteRequest } from '../../engine/source.js';
import { runGovernedWrite } from '../postgres-family/wire/write-flow.js';
import { ProtocolPipeline } from '../postgres-family/wire/write-protocol.js';
import { EngineStateError, OversizedMessageError, pgliteLimitsText, protocolRead, type PgliteLimits, type ProtocolReadRequest } from './protocol-read.js';

export interface WorkerInit {
  /** Open this data directory (pglite:DIR). */
  dataDir?: string;
  /** Or load this gzip tarball of an initialised data directory into memory. */
  tarball?: string;
  /** Or, when the tarball is missing, create a fresh database from this SQL. */
  seedSql?: string;
}

export type WorkerRequest =
  | ({ type: 'read'; id: number } & ProtocolReadRequest)
  | { type: 'write'; id: number; limits: PgliteLimits; request: WriteRequest };

export type WorkerResponse =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | {
      type: 'error';
      id: number;
      error: { code?: string; message?: string; severity?: string };
      /** A refusal of Bastion's own (e.g. WRITE_LIMIT_EXCEEDED), already safe to show. */
      refusal?: { code: ErrorCode; message: string };
      /** The engine may be left inside a transaction: restart it. */
      fatal: boolean;
    }
  | { type: 'fatal'; message: string };

async function open(init: WorkerInit): Promise<PGlite> {
  if (init.dataDir !== undefined) return PGlite.create({ dataDir: init.dataDir });
  if (init.tarball !== undefined) {
    const bytes = await readFile(init.tarball);
    return PGlite.create({ loadDataDir: new Blob([bytes]) });
  }
  const db = await PGlite.create();
  if (init.seedSql !== undefined) await db.exec(init.seedSql);
  return db;
}

let serverVersion: Promise<number> | undefined;

async function versionOf(db: PGlite): Promise<number> {
  serverVersion ??= db
    .query<{ v: number }>("SELECT pg_catalog.current_setting('server_version_num')::int AS v")
    // Unreadable: assume an old server, which only ever drops an optional sample.
    .then((r) => r.rows[0]?.v ?? 0, () => 0);
  return serverVersion;
}

/** A governed write (see runGovernedWrite); the engine must end idle, else it is restarted. */
async function write(db: PGlite, message: Extract<WorkerRequest, { type: 'write' }>): Promise<unknown> {
  const pipeline = new ProtocolPipeline(db);
  const context = { limits: { text: pgliteLimitsText(false), values: message.limits }, serverVersion: await versionOf(db) };
  let result: unknown;
  try {
    result = await runGovernedWrite(pipeline.run, message.request, context);
  } catch (error) {
    if (pipeline.transactionStatus !== 'I') throw new EngineStateError('the embedded engine did not return to an idle state', { cause: error });
    throw error;
  }
  if (pipeline.transactionStatus !== 'I') throw new EngineStateError('the embedded engine did not return to an idle state');
  return result;
}

/** SQLSTATE 53200: the statement asked for more memory than the engine has. */
const OUT_OF_MEMORY = '53200';

function errorResponse(id: number, error: unknown): WorkerResponse {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; severity?: unknown };
  return {
    type: 'error',
    id,
    // An oversized answer or an out-of-memory error grew the engine's memory: restart it to give that back.
    fatal: error instanceof EngineStateError || error instanceof OversizedMessageError || e.code === OUT_OF_MEMORY,
    ...(error instanceof BastionError ? { refusal: { code: error.code, message: error.message } } : {}),
    ...(error instanceof OversizedMessageError
      ? { refusal: { code: 'QUERY_FAILED' as const, message: 'The database answered with a message larger than Bastion reads (over 4 MiB); the statement was stopped.' } }
      : {}),
    error: {
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.message === 'string' ? { message: e.message } : {}),
      ...(typeof e.severity === 'string' ? { severity: e.severity } : {}),
    },
  };
}

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  open(init).then(
    (db) => {
      port.on('message', (request: WorkerRequest) => {
        const run = request.type === 'write' ? write(db, request) : protocolRead(db, request);
        run.then(
          (result) => port.postMessage({ type: 'result', id: request.id, result } satisfies WorkerResponse),
          (error: unknown) => port.postMessage(errorResponse(request.id, error)),
        );
      });
      port.postMessage({ type: 'ready' } satisfies WorkerResponse);
    },
    (error: unknown) => {
      port.postMessage({ type: 'fatal', message: error instanceof Error ? error.message : String(error) } satisfies WorkerResponse);
    },
  );
}
