import { open, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AuditLogError } from './errors.js';

export const LOCK_FILE = 'audit.lock';

const heldHere = new Set<string>();

/**
 * One writer per folder: two servers appending to one log would fork its chain. The
 * lock file holds the writer's pid; a lock whose process is gone (kill -9) is taken over.
 */
export async function acquireWriterLock(dir: string): Promise<() => Promise<void>> {
  const path = resolve(dir, LOCK_FILE);
  // Our own pid in the file is a stale lock from an earlier life of this pid (a restarted
  // container is pid 1 again); a second sink in this process is caught here instead.
  if (heldHere.has(path)) throw new AuditLogError('AUDIT_LOCKED', `This process already writes the audit log in ${dir}.`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      heldHere.add(path);
      return async () => {
        heldHere.delete(path);
        await unlink(path).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new AuditLogError(
        'AUDIT_LOCKED',
        `Another Bastion process (pid ${holder}) is writing the audit log in ${dir}; give each server its own state.dir.`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new AuditLogError('AUDIT_LOCKED', `Could not take the audit log lock in ${dir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
