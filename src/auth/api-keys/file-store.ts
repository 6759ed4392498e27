import { randomBytes } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BastionError } from '../../errors/codes.js';
import type { Logger } from '../../log/logger.js';
import { withFileLock } from './file-lock.js';
import { parseKeyFile, serializeKeyFile } from './file-format.js';
import { hashesEqual } from './key.js';
import { LastUsedBuffer } from './last-used.js';
import { buildNewKey } from './new-key.js';
import { withoutHash, type ApiKeyRecord, type ApiKeySnapshot, type ApiKeyStore, type CreatedApiKey, type NewApiKey, type StoredApiKey } from './store.js';

export const API_KEYS_FILE = 'api-keys.json';
const CHECK_MODES = process.platform !== 'win32';

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
    await ensurePrivateDir(absolute);
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
    let handle;
    try {
      // O_NOFOLLOW: a symlink planted in place of the file is refused, not followed.
      handle = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { keys: [], token: ABSENT };
      if (code === 'ELOOP') throw invalid(`${this.path} is a symbolic link; the API key file must be a regular file.`);
      throw error;
    }
    try {
      const info = await handle.stat({ bigint: true });
      if (!info.isFile()) throw invalid(`${this.path} is not a regular file.`);
      checkPrivateFile(this.path, info);
      const text = await handle.readFile('utf8');
      try {
        return { keys: parseKeyFile(text), token: tokenOf(info) };
      } catch {
        throw invalid(`${this.path} is not a valid API key file (it does not parse); restore it from a backup or move it away.`);
      }
    } finally {
      await handle.close();
    }
  }

  /** One read-modify-write under the lock file; in-process callers queue up first. */
  private mutate<T>(change: (keys: StoredApiKey[]) => { next?: StoredApiKey[]; result: T }): Promise<T> {
    const run = (): Promise<T> =>
      withFileLock(this.lockPath, async () => {
        const { next, result } = change((await this.read()).keys);
        if (next !== undefined) await this.write(next);
        return result;
      });
    const done = this.queue.then(run, run);
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async write(keys: readonly StoredApiKey[]): Promise<void> {
    const temp = join(this.dir, `.${API_KEYS_FILE}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.chmod(0o600);
        await handle.writeFile(serializeKeyFile(keys));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDir(this.dir);
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

async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!CHECK_MODES) return;
  if (created !== undefined) {
    await chmod(dir, 0o700);
    return;
  }
  const info = await stat(dir);
  if (!info.isDirectory()) throw invalid(`state.dir ${dir} is not a directory.`);
  if ((info.mode & 0o022) !== 0) {
    throw invalid(`${dir} can be written by other users (mode ${octal(info.mode)}), who could replace the API key file. Run: chmod 700 ${dir}`);
  }
}

function checkPrivateFile(path: string, info: BigIntStats): void {
  const mode = Number(info.mode);
  if (CHECK_MODES && (mode & 0o077) !== 0) {
    throw invalid(`${path} is accessible to other users (mode ${octal(mode)}); the API key file must be private. Run: chmod 600 ${path}`);
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function invalid(message: string): BastionError {
  return new BastionError('CONFIG_INVALID', message);
}
