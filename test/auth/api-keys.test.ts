/**
 * API keys on the file store: the key format, what reaches the disk (only the
 * SHA-256, in a private file replaced atomically) and what the verifier accepts.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseKeyLifetime } from '../../src/auth/api-keys/duration.js';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { API_KEY_PATTERN, generateApiKey, generateKeyId, hashApiKey, KEY_ID_PATTERN } from '../../src/auth/api-keys/key.js';
import { LastUsedBuffer } from '../../src/auth/api-keys/last-used.js';
import { ApiKeyVerifier, type ApiKeyVerifierOptions } from '../../src/auth/api-keys/verifier.js';
import { createLogger } from '../../src/log/logger.js';

const log = createLogger('silent');
const dirs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bastion-keys-'));
  dirs.push(dir);
  return dir;
}

async function openStore(dir: string): Promise<FileApiKeyStore> {
  const store = await FileApiKeyStore.open(dir, log);
  closers.push(() => store.close());
  return store;
}

async function openVerifier(options: Partial<ApiKeyVerifierOptions> & Pick<ApiKeyVerifierOptions, 'store'>): Promise<ApiKeyVerifier> {
  const verifier = await ApiKeyVerifier.create({ log, ...options });
  closers.push(() => verifier.close());
  return verifier;
}

/** Bound for a poll that waits for a background refresh; not a timing assertion. */
const POLL = { timeout: 10_000, interval: 50 } as const;

describe('API key format', () => {
  it('is ak_ followed by 43 base64url characters that decode to 32 random bytes (256 bits)', () => {
    const key = generateApiKey();
    expect(key).toMatch(API_KEY_PATTERN);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
  });

  it('never repeats across 10,000 keys, and ids are key_ + 8 base64url characters', () => {
    const keys = new Set(Array.from({ length: 10_000 }, generateApiKey));
    expect(keys.size).toBe(10_000);
    expect(generateKeyId()).toMatch(KEY_ID_PATTERN);
  });

  it('stores the SHA-256 of the whole key, prefix included, as lower-case hex', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['30m', 30 * 60_000],
    ['12h', 12 * 3_600_000],
    ['90d', 90 * 86_400_000],
  ])('lifetime %s is %i ms', (text, ms) => {
    expect(parseKeyLifetime(text)).toBe(ms);
  });

  it.each(['90', '5y', '0d', '-1d', '1.5h', '', '3651d', '90 d'])('lifetime %j is refused', (text) => {
    expect(() => parseKeyLifetime(text)).toThrow(TypeError);
  });
});

describe('file store on disk', () => {
  it('writes only the SHA-256: neither the key nor its random part appears in the file', async () => {
    const dir = join(await tempDir(), '.bastion');
    const store = await openStore(dir);
    const { key, record } = await store.create({ name: 'ci', role: 'reader' });
    const text = readFileSync(join(dir, 'api-keys.json'), 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(3));
    expect(text).not.toContain(key.slice(3, 20));
    expect(text).toContain(hashApiKey(key));
    expect(text).toContain(record.id);
    expect(JSON.stringify(await store.list())).not.toContain(hashApiKey(key));
  });

  it('creates the state folder with mode 0700 and the key file with mode 0600', async () => {
    const dir = join(await tempDir(), 'nested', '.bastion');
    const store = await openStore(dir);
    await store.create({ name: 'ci', role: 'reader' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'api-keys.json')).mode & 0o777).toBe(0o600);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses to open a key file with mode %o, naming the path and the fix', async (mode) => {
    const dir = await tempDir();
    await (await openStore(dir)).create({ name: 'ci', role: 'reader' });
    const path = join(dir, 'api-keys.json');
    chmodSync(path, mode);
    const opened = FileApiKeyStore.open(dir, log);
    await expect(opened).rejects.toThrow(path);
    await expect(opened).rejects.toThrow('chmod 600');
  });

  it('refuses a state folder other users can write to (they could swap the file)', async () => {
    const dir = await tempDir();
    chmodSync(dir, 0o777);
    await expect(FileApiKeyStore.open(dir, log)).rejects.toThrow(dir);
  });

  it('refuses a symlink planted in place of the key file', async () => {
    const dir = await tempDir();
    const target = join(dir, 'elsewhere.json');
    writeFileSync(target, '{"version":1,"keys":[]}', { mode: 0o600 });
    symlinkSync(target, join(dir, 'api-keys.json'));
    await expect(FileApiKeyStore.open(dir, log)).rejects.toThrow(/symbolic link/);
  });

  it('refuses a key file that does not parse instead of starting with no keys', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'api-keys.json'), '{"version":1,"keys":[{"id":"oops"}]}', { mode: 0o600 });
    await expect(FileApiKeyStore.open(dir, log)).rejects.toThrow(/not a valid API key file/);
  });

  it('replaces the file atomically: a reader parses it every time while 200 creates run, and none is lost', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const path = join(dir, 'api-keys.json');
    let writing = true;
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
        if (text !== null) {
          expect(() => JSON.parse(text) as unknown).not.toThrow();
          reads++;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const created = await Promise.all(Array.from({ length: 200 }, (_, i) => store.create({ name: `k${i}`, role: 'reader' })));
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const ids = new Set((await store.list()).map((k) => k.id));
    expect(ids.size).toBe(200);
    for (const { record } of created) expect(ids.has(record.id)).toBe(true);
    expect(readdirSync(dir)).toEqual(['api-keys.json']);
  });

  it('two stores on one folder (CLI and server) never lose each other’s records', async () => {
    const dir = await tempDir();
    const a = await openStore(dir);
    const b = await openStore(dir);
    const made = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).create({ name: `k${i}`, role: 'reader' })));
    const revoked = await Promise.all(made.slice(0, 10).map(({ record }, i) => (i % 2 === 0 ? b : a).revoke(record.id)));
    expect(revoked).toEqual(Array(10).fill(true));
    const list = await a.list();
    expect(list).toHaveLength(60);
    expect(list.filter((k) => k.revokedAt !== null)).toHaveLength(10);
  });

  it('revoke answers false for an unknown id and keeps the first revocation time', async () => {
    const store = await openStore(await tempDir());
    const { record } = await store.create({ name: 'ci', role: 'reader' });
    expect(await store.revoke('key_AAAAAAAA')).toBe(false);
    expect(await store.revoke(record.id)).toBe(true);
    const first = (await store.list())[0]?.revokedAt;
    expect(await store.revoke(record.id)).toBe(true);
    expect((await store.list())[0]?.revokedAt).toEqual(first);
  });

  it('findByHash finds a key by its digest only', async () => {
    const store = await openStore(await tempDir());
    const { key, record } = await store.create({ name: 'ci', role: 'reader' });
    expect((await store.findByHash(hashApiKey(key)))?.id).toBe(record.id);
    expect(await store.findByHash(hashApiKey(generateApiKey()))).toBeUndefined();
  });

  it('refuses names with control characters and roles that are not identifiers', async () => {
    const store = await openStore(await tempDir());
    await expect(store.create({ name: 'a\u001b[31mred', role: 'reader' })).rejects.toThrow(TypeError);
    await expect(store.create({ name: '', role: 'reader' })).rejects.toThrow(TypeError);
    await expect(store.create({ name: 'ok', role: 'Admin; DROP' })).rejects.toThrow(TypeError);
    await expect(store.create({ name: 'ok', role: 'reader', expiresAt: new Date(Date.now() - 1000) })).rejects.toThrow(TypeError);
  });
});

describe('verifier on the file store', () => {
  it('accepts a valid key as an api_key principal with its role', async () => {
    const store = await openStore(await tempDir());
    const { key, record } = await store.create({ name: 'ci', role: 'writer' });
    const verifier = await openVerifier({ store });
    expect(await verifier.verify(key)).toEqual({ id: `key:${record.id}`, kind: 'api_key', role: 'writer', scopes: [] });
  });

  it('refuses a wrong key of the same length and shape', async () => {
    const store = await openStore(await tempDir());
    const { key } = await store.create({ name: 'ci', role: 'reader' });
    const verifier = await openVerifier({ store });
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const wrong = key.slice(0, -1) + last;
    expect(wrong).toHaveLength(key.length);
    expect(await verifier.verify(wrong)).toBeUndefined();
    expect(await verifier.verify(generateApiKey())).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['prefix only', 'ak_'],
    ['too short', `ak_${'A'.repeat(42)}`],
    ['too long', `ak_${'A'.repeat(44)}`],
    ['other prefix', `sk_${'A'.repeat(43)}`],
    ['non-base64url', `ak_${'A'.repeat(42)}+`],
    ['bearer prefix', `Bearer ak_${'A'.repeat(43)}`],
  ])('refuses garbage (%s) before hashing', async (_label, presented) => {
    const store = await openStore(await tempDir());
    const verifier = await openVerifier({ store });
    expect(await verifier.verify(presented)).toBeUndefined();
  });

  it('refuses the valid key with whitespace around it or as a non-string', async () => {
    const store = await openStore(await tempDir());
    const { key } = await store.create({ name: 'ci', role: 'reader' });
    const verifier = await openVerifier({ store });
    expect(await verifier.verify(` ${key}`)).toBeUndefined();
    expect(await verifier.verify(`${key}\n`)).toBeUndefined();
    expect(await verifier.verify({ toString: () => key } as unknown as string)).toBeUndefined();
  });

  it('refuses a revoked key once the running verifier has polled the file', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const { key, record } = await store.create({ name: 'ci', role: 'reader' });
    const verifier = await openVerifier({ store });
    expect(await verifier.verify(key)).toBeDefined();
    // Revoked by another process's store, as the CLI would.
    const cli = await openStore(dir);
    expect(await cli.revoke(record.id)).toBe(true);
    await expect.poll(() => verifier.verify(key), POLL).toBeUndefined();
  });

  it('picks up a key created after it started, without a restart', async () => {
    const dir = await tempDir();
    const verifier = await openVerifier({ store: await openStore(dir) });
    const { key } = await (await openStore(dir)).create({ name: 'late', role: 'reader' });
    await expect.poll(async () => (await verifier.verify(key))?.role, POLL).toBe('reader');
  });

  it('polls the file store at least once a second (so a revoke lands well within 5 s)', async () => {
    const store = await openStore(await tempDir());
    const verifier = await openVerifier({ store });
    expect(verifier.refreshIntervalMs).toBeLessThanOrEqual(1_000);
  });

  it('refuses an expired key and logs the reason at debug with the id, never the key', async () => {
    const store = await openStore(await tempDir());
    const expiresAt = new Date(Date.now() + 60_000);
    const { key, record } = await store.create({ name: 'ci', role: 'reader', expiresAt });
    const lines: string[] = [];
    const capture = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    let now = new Date();
    const verifier = await openVerifier({ store, log: capture, now: () => now });
    expect(await verifier.verify(key)).toBeDefined();
    now = new Date(expiresAt.getTime());
    expect(await verifier.verify(key)).toBeUndefined();
    const refusal = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'API key refused');
    expect(refusal).toMatchObject({ level: 20, reason: 'expired', keyId: record.id });
    expect(lines.join('\n')).not.toContain(key);
    expect(lines.join('\n')).not.toContain(key.slice(3));
  });

  it('refuses a key whose role is no longer configured', async () => {
    const store = await openStore(await tempDir());
    const { key } = await store.create({ name: 'ci', role: 'analyst' });
    const verifier = await openVerifier({ store, knownRoles: new Set(['reader', 'writer', 'admin']) });
    expect(await verifier.verify(key)).toBeUndefined();
  });

  it('fails closed: when the file becomes unreadable for longer than the staleness bound, every key is refused', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    const { key } = await store.create({ name: 'ci', role: 'reader' });
    const verifier = await openVerifier({ store, refreshIntervalMs: 20, maxStalenessMs: 200 });
    expect(await verifier.verify(key)).toBeDefined();
    chmodSync(join(dir, 'api-keys.json'), 0o644);
    await expect.poll(() => verifier.verify(key), POLL).toBeUndefined();
    chmodSync(join(dir, 'api-keys.json'), 0o600);
    await expect.poll(async () => (await verifier.verify(key))?.role, POLL).toBe('reader');
  });

  it('records last use: written on close, at most once a minute per key', async () => {
    const dir = await tempDir();
    const store = await FileApiKeyStore.open(dir, log);
    const { key } = await store.create({ name: 'ci', role: 'reader' });
    const verifier = await ApiKeyVerifier.create({ store, log });
    for (let i = 0; i < 5; i++) await verifier.verify(key);
    verifier.close();
    await store.close();
    const [record] = await (await openStore(dir)).list();
    expect(record?.lastUsedAt).toBeInstanceOf(Date);
  });
});

describe('last-used buffer', () => {
  it('writes a busy key once per minute and batches keys together', async () => {
    const batches: Map<string, Date>[] = [];
    const buffer = new LastUsedBuffer({ log, write: async (batch) => void batches.push(new Map(batch)) });
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) buffer.note('key_AAAAAAAA', new Date(t0 + i * 100));
    buffer.note('key_BBBBBBBB', new Date(t0));
    await buffer.flush();
    expect(batches).toHaveLength(1);
    expect([...(batches[0]?.keys() ?? [])].sort()).toEqual(['key_AAAAAAAA', 'key_BBBBBBBB']);
    buffer.note('key_AAAAAAAA', new Date(t0 + 59_999));
    await buffer.flush();
    expect(batches).toHaveLength(1);
    buffer.note('key_AAAAAAAA', new Date(t0 + 60_000));
    await buffer.flush();
    expect(batches).toHaveLength(2);
  });

  it('a failing write never throws into the caller', async () => {
    const buffer = new LastUsedBuffer({ log, write: () => Promise.reject(new Error('disk full')) });
    buffer.note('key_AAAAAAAA', new Date());
    await expect(buffer.flush()).resolves.toBeUndefined();
  });
});

describe('state folder', () => {
  it('leaves an existing private folder as it is and uses it', async () => {
    const dir = join(await tempDir(), 'state');
    mkdirSync(dir, { mode: 0o700 });
    const store = await openStore(dir);
    await store.create({ name: 'ci', role: 'reader' });
    expect(existsSync(join(dir, 'api-keys.json'))).toBe(true);
  });
});
