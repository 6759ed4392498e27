import { constants } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { openStateFile } from '../util/private-file.js';
import type { LockTimes } from '../util/file-lock.js';
import type { AuditKey } from './chain.js';
import { INSTANCE_PATTERN, listAuditChains } from './chains.js';
import { AuditLogError } from './errors.js';
import { AuditFileSink, type AuditSinkLogger } from './file-sink.js';
import { LOCK_FILE } from './lock.js';
import { LOG_FILE, readFirstRecord } from './log-files.js';

/**
 * Closes the chains of processes that died while writing them (kill -9, power loss).
 * Such a chain keeps its lock file, and may end in a torn line or before its head
 * checkpoint; with one chain per process nobody reopens it, so the next process on
 * the folder does: it takes over the dead writer's lock, repairs the torn line into
 * a gap record, moves the head up, and closes the chain (removing the lock). A chain
 * closed cleanly has no lock file and is not touched; a held lock (fresh heartbeat, or
 * a live pid) is skipped, and so is a lock path that is not a regular file of this user
 * (refused with a warning: a FIFO there must not hang the start).
 * A chain written directly in the folder (before one chain per process) is sealed too.
 * Returns the instances sealed; a chain that cannot be repaired is left to
 * `bastion audit verify` to report, and never stops the start.
 */
export async function sealAbandonedChains(
  dir: string,
  options: {
    readonly key?: AuditKey | undefined;
    readonly log?: AuditSinkLogger | undefined;
    readonly except: string;
    readonly lockTimes?: LockTimes;
    /** Each chain's genesis from the chain index: a chain repaired before its first record starts from it. */
    readonly genesis?: ReadonlyMap<string | null, string>;
  },
): Promise<string[]> {
  const sealed: string[] = [];
  for (const chain of await listAuditChains(dir)) {
    if (chain.instance === options.except) continue;
    if ((await lstat(join(chain.dir, LOCK_FILE)).catch(() => null)) === null) continue;
    try {
      const instance = chain.instance ?? (await instanceOfLog(chain.dir));
      const sink = await AuditFileSink.open({
        dir: chain.dir,
        root: dir,
        instance,
        key: options.key,
        log: options.log,
        lockTimes: options.lockTimes,
        genesis: options.genesis?.get(chain.instance),
      });
      await sink.close();
      sealed.push(instance);
    } catch (error) {
      if (error instanceof AuditLogError && error.code === 'AUDIT_LOCKED') continue;
      options.log?.warn({ err: error, chain: chain.dir }, 'audit: could not close the chain of a process that ended without closing it; run `bastion audit verify`');
    }
  }
  return sealed;
}

/** The instance named in a log's first record (a chain written directly in the folder), for its repair record. */
async function instanceOfLog(dir: string): Promise<string> {
  // Through the safe open: a FIFO planted as the log must not hang the start.
  const handle = await openStateFile(join(dir, LOG_FILE), constants.O_RDONLY, 'the audit log', { forbiddenMode: 0o022 }).catch(() => undefined);
  if (handle === undefined) return 'bastion';
  try {
    const instance = (await readFirstRecord(handle))?.['instance'];
    return typeof instance === 'string' && INSTANCE_PATTERN.test(instance) ? instance : 'bastion';
  } finally {
    await handle.close();
  }
}
