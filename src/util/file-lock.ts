import { open, rm, stat } from 'node:fs/promises';
import { BastionError } from '../errors/codes.js';

/** A lock older than this was left by a process that died while holding it. */
const STALE_MS = 10_000;
const WAIT_MS = 10_000;

/**
 * Runs `fn` while holding `lockPath`, a file created with O_EXCL, so the CLI and
 * any number of servers never interleave a read-modify-write of the same state
 * file. Held only for the few milliseconds of one update.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  await acquire(lockPath);
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function acquire(lockPath: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new BastionError(
        'INTERNAL',
        `Could not lock ${lockPath}: another bastion process holds it. If none is running, delete the file.`,
      );
    }
    // Jitter, not security: spreads retries of processes that collided.
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
