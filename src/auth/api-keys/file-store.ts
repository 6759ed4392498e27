import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { withStateFileLock } from '../../util/file-lock.js';
import { ensurePrivateDir, readPrivateFile, writePrivateFileAtomic } from '../../util/private-file.js';
import { parseKeyFile, serializeKeyFile } from './file-format.js';
import { hashesEqual } from '../../util/constant-time.js';
import { LastUsedBuffer } from './last-used.js';
import { buildNewKey } from './new-key.js';
import { withoutHash, type ApiKeyRecord, type ApiKeySnapshot, type ApiKeyStore, type CreatedApiKey, type NewApiKey, type StoredApiKey } from './store.js';

export const API_KEYS_FILE = 'api-keys.json';
const WHAT = 'the API key file';

/**
 * API keys in `<state.dir>/api-keys.json`: the folder mode 0700, the file 0600 and
 * replaced atomically (a private temp file in the same folder, fsync, rename), so a
 * reader sees the old file or the new one, never half of one. Every change re-reads
 * the file under a lock file, so the CLI and running servers never lose each
 * other's records.
 */
export class FileApiKeyStore implements ApiKeyStore {
  readonly refreshIntervalMs = 1_000;
  readonly location: string;
  private readonly lockPath: string;
  private readonly lastUsed: LastUsedBuffer;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly path: string,
    log: Logger,
  ) {
    this.location = path;
    this.lockPath = `${path}.lock`;
    this.lastUsed = new LastUsedBuffer({ log, write: (batch) => this.writeLastUsed(batch) });
  }

  /** Opens the store; refuses (CONFIG_INVALID, naming the path) a file others can read or one that does not parse. */
  static async open(dir: string, log: Logger): Promise<FileApiKeyStore> {
    const absolute = resolve(dir);
    await ensurePrivateDir(absolute, WHAT);
    const store = new FileApiKeyStore(absolute, join(absolute, API_KEYS_FILE), log);
    await store.read();
    return store;
  }

  create(input: NewApiKey): Promise<CreatedApiKey> {
    return this.mutate((keys) => {
      const { stored, key } = buildNewKey(input, new Date(), new Set(keys.map((k) => k.id)));
      return { next: [...keys, stored], result: { record: withoutHash(stored), key } };
    });
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.read()).keys.map(withoutHash);
  }

  revoke(id: string): Promise<boolean> {
    return this.mutate((keys) => {
      const found = keys.find((k) => k.id === id);
      if (found === undefined) return { result: false };
      if (found.revokedAt !== null) return { result: true };
      const revokedAt = new Date();
      return { next: keys.map((k) => (k === found ? { ...k, revokedAt } : k)), result: true };
    });
  }

  async findByHash(hash: string): Promise<StoredApiKey | undefined> {
    let match: StoredApiKey | undefined;
    // Compare against every record, without stopping early, in constant time each.
    for (const key of (await this.read()).keys) if (hashesEqual(key.hash, hash)) match = key;
    return match;
  }

  touch(id: string, when: Date): void {
    this.lastUsed.note(id, when);
  }

  async snapshot(token?: string): Promise<ApiKeySnapshot | undefined> {
    const current = await statToken(this.path);
    if (token !== undefined && current === token) return undefined;
    return this.read();
  }

  async close(): Promise<void> {
    await this.lastUsed.flush();
    await this.queue;
  }

  private async read(): Promise<{ keys: StoredApiKey[]; token: string }> {
    const file = await readPrivateFile(this.path, WHAT);
    if (file === undefined) return { keys: [], token: ABSENT };
    try {
      return { keys: parseKeyFile(file.text), token: tokenOf(file.info) };
    } catch {
      throw invalid(`${this.path} is not a valid API key file (it does not parse); restore it from a backup or move it away.`);
    }
  }

  /** One read-modify-write under the lock file; in-process callers queue up first. */
  private mutate<T>(change: (keys: StoredApiKey[]) => { next?: StoredApiKey[]; result: T }): Promise<T> {
    const run = (): Promise<T> =>
      withStateFileLock(this.lockPath, WHAT, async () => {
        const { next, result } = change((await this.read()).keys);
        if (next !== undefined) await this.write(next);
        return result;
      });
    const done = this.queue.then(run, run);
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async write(keys: readonly StoredApiKey[]): Promise<void> {
    await writePrivateFileAtomic(this.path, serializeKeyFile(keys));
  }

  private async writeLastUsed(batch: ReadonlyMap<string, Date>): Promise<void> {
    await this.mutate((keys) => {
      let changed = false;
      const next = keys.map((k) => {
        const used = batch.get(k.id);
        if (used === undefined || (k.lastUsedAt !== null && k.lastUsedAt >= used)) return k;
        changed = true;
        return { ...k, lastUsedAt: used };
      });
      return changed ? { next, result: undefined } : { result: undefined };
    });
  }
}

const ABSENT = 'absent';

/** Changes on every rename (new inode, times), so a poll notices each write. */
function tokenOf(info: BigIntStats): string {
  return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

async function statToken(path: string): Promise<string> {
  try {
    return tokenOf(await lstat(path, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ABSENT;
    throw error;
  }
}

function invalid(message: string): BastionError {
  return new BastionError('CONFIG_INVALID', message);
}
