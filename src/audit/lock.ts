import { resolve } from 'node:path';
import { acquireFileLock, FileLockBusyError, type LockTimes } from '../util/file-lock.js';
import { AuditLogError } from './errors.js';

export const LOCK_FILE = 'audit.lock';

/**
 * One writer per chain: two processes appending to one chain would fork it. The lock
 * file in the chain's folder names its writer and carries its heartbeat for the
 * writer's whole life (see LockTimes): a writer killed with -9 frees it within the
 * short bound, a lock of another host or an unrelated process after the long one. A
 * held lock is waited for up to `waitMs` (a restart that overlaps the old process's
 * exit, or follows a kill -9).
 */
export async function acquireWriterLock(dir: string, instance: string, waitMs: number, times?: LockTimes): Promise<() => Promise<void>> {
  try {
    return await acquireFileLock(resolve(dir, LOCK_FILE), times === undefined ? { waitMs } : { waitMs, times });
  } catch (error) {
    if (!(error instanceof FileLockBusyError)) throw error;
    const who = error.owner === null ? 'Another process' : `Another Bastion process (pid ${error.owner.pid}${error.owner.host === undefined ? '' : ` on ${error.owner.host}`})`;
    throw new AuditLogError(
      'AUDIT_LOCKED',
      `${who} is writing the audit chain of instance "${instance}" in ${dir}. Two processes cannot share one chain: ` +
        'leave audit.instance unset (each process then writes its own chain) or give each process its own audit.instance.',
    );
  }
}
