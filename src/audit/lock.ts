import { resolve } from 'node:path';
import { acquireFileLock, FileLockBusyError } from '../util/file-lock.js';
import { AuditLogError } from './errors.js';

export const LOCK_FILE = 'audit.lock';

/**
 * One writer per chain: two processes appending to one chain would fork it. The lock
 * file in the chain's folder names its writer; held for the writer's whole life, so
 * only a dead pid makes it stale (kill -9: taken over at once). A live writer is
 * waited for up to `waitMs` (a restart that overlaps the old process's shutdown).
 */
export async function acquireWriterLock(dir: string, instance: string, waitMs: number): Promise<() => Promise<void>> {
  try {
    return await acquireFileLock(resolve(dir, LOCK_FILE), { waitMs });
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
