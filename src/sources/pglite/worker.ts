/**
 * Runs an embedded PGlite database in a worker thread. PGlite executes on the
 * thread that owns it and does not honour statement_timeout, so the owning thread
 * is a worker the main thread can terminate when a call runs past its limit.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { EngineStateError, protocolRead, type ProtocolReadRequest } from './protocol-read.js';

export interface WorkerInit {
  /** Open this data directory (pglite:DIR). */
  dataDir?: string;
  /** Or load this gzip tarball of an initialised data directory into memory. */
  tarball?: string;
  /** Or, when the tarball is missing, create a fresh database from this SQL. */
  seedSql?: string;
}

export type WorkerRequest = { type: 'read'; id: number } & ProtocolReadRequest;

export type WorkerResponse =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: { code?: string; message?: string; severity?: string }; fatal: boolean }
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

const port = parentPort;
if (port !== null) {
  const init = workerData as WorkerInit;
  open(init).then(
    (db) => {
      port.on('message', (request: WorkerRequest) => {
        protocolRead(db, request).then(
          (result) => port.postMessage({ type: 'result', id: request.id, result } satisfies WorkerResponse),
          (error: unknown) => {
            const e = (error ?? {}) as { code?: unknown; message?: unknown; severity?: unknown };
            const response: WorkerResponse = {
              type: 'error',
              id: request.id,
              fatal: error instanceof EngineStateError,
              error: {
                ...(typeof e.code === 'string' ? { code: e.code } : {}),
                ...(typeof e.message === 'string' ? { message: e.message } : {}),
                ...(typeof e.severity === 'string' ? { severity: e.severity } : {}),
              },
            };
            port.postMessage(response);
          },
        );
      });
      port.postMessage({ type: 'ready' } satisfies WorkerResponse);
    },
    (error: unknown) => {
      port.postMessage({ type: 'fatal', message: error instanceof Error ? error.message : String(error) } satisfies WorkerResponse);
    },
  );
}
