import type { Connection as CoreConnection } from 'mysql2';
import type { PoolConnection } from 'mysql2/promise';
import type { BastionError } from '../../errors/codes.js';

/**
 * Takes a connection out of the pool and cuts its socket. mysql2's destroy() only
 * half-closes (FIN): a server still sending a large result into a paused socket
 * would keep writing, and holding its table locks, until net_write_timeout.
 */
export function discard(connection: PoolConnection): void {
  connection.destroy();
  (connection.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/**
 * One call on one connection that can be stopped from outside: by the client-side
 * time limit, or by the client's cancel. Stopping cuts the socket and rejects `run`
 * at once with the reason: mysql2 marks a connection it destroys as closing and
 * never fails the command in flight on it, so waiting for that command would hang.
 */
export class CuttableCall {
  /** Why the call was stopped, once it was. */
  reason: BastionError | undefined;
  private readonly stopped: Promise<never>;
  private rejectStopped!: (error: BastionError) => void;

  constructor(private readonly connection: PoolConnection) {
    this.stopped = new Promise<never>((_, reject) => {
      this.rejectStopped = reject;
    });
    // Nobody may be racing it yet; the rejection is read through run() or `reason`.
    this.stopped.catch(() => undefined);
  }

  stop(reason: BastionError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    discard(this.connection);
    this.rejectStopped(reason);
  }

  run<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.stopped]);
  }
}

export const CONNECTION_LOST = 'The connection to the database closed while the statement ran (it was ended on the server or the network failed); nothing was returned. Try again.';

/**
 * Calls `onDeath` once when the connection errors, ends or its socket closes; returns the
 * function that stops watching. The dead connection is destroyed by the caller (CuttableCall.stop
 * discards it), so the pool never hands it out again.
 */
export function watchDeath(core: CoreConnection, onDeath: () => void): () => void {
  const stream = (core as unknown as { stream?: NodeJS.EventEmitter }).stream;
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    onDeath();
  };
  core.on('error', fire);
  core.on('end', fire);
  stream?.on('close', fire);
  stream?.on('end', fire);
  return () => {
    core.off('error', fire);
    core.off('end', fire);
    stream?.off('close', fire);
    stream?.off('end', fire);
  };
}
