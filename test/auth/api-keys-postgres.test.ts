/**
 * The PostgreSQL key store (`state.url`) against a real server: replicas share one
 * table, only hashes reach it, and a revoke from the CLI reaches every replica's
 * running verifier without a restart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-keys/key.js';
import { openApiKeys, openApiKeyStore } from '../../src/auth/api-keys/open.js';
import { PostgresApiKeyStore } from '../../src/auth/api-keys/postgres-store.js';
import { ApiKeyVerifier } from '../../src/auth/api-keys/verifier.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { cleanup, makeTempDir, runCli } from '../helpers/spawn.js';

const log = createLogger('silent');
const POLL = { timeout: 15_000, interval: 100 } as const;

describe.skipIf(!postgres.ok)('PostgreSQL API key store (state.url)', () => {
  let db: TestDatabase;
  let config: BastionConfig;
  const closers: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    config = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { url: db.url } });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await cleanup();
    await db.admin('TRUNCATE bastion_api_keys').catch(() => undefined);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function replica(): Promise<Awaited<ReturnType<typeof openApiKeys>>> {
    const keys = await openApiKeys(config, log);
    closers.push(() => keys.close());
    return keys;
  }

  it('two replicas starting at once both create-or-find the table, in the default schema', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    expect(a.store).toBeInstanceOf(PostgresApiKeyStore);
    expect(b.store).toBeInstanceOf(PostgresApiKeyStore);
    const table = await db.admin(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'bastion_api_keys'`);
    expect(table.rows).toEqual([{ table_schema: 'public' }]);
  });

  it('stores only the SHA-256: no column of any row holds the key', async () => {
    const { store } = await replica();
    const { key, record } = await store.create({ name: 'ci', role: 'reader', expiresAt: new Date(Date.now() + 3_600_000) });
    const dump = JSON.stringify((await db.admin('SELECT * FROM bastion_api_keys')).rows);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(3));
    expect(dump).toContain(hashApiKey(key));
    expect(dump).toContain(record.id);
    expect(JSON.stringify(await store.list())).not.toContain(hashApiKey(key));
    expect((await store.findByHash(hashApiKey(key)))?.id).toBe(record.id);
  });

  it('the table refuses a raw key in the hash column (check constraint)', async () => {
    await replica();
    await expect(
      db.admin(`INSERT INTO bastion_api_keys (id, name, role, key_sha256, created_at) VALUES ('key_AAAAAAAA', 'x', 'reader', $1, now())`, [
        `ak_${'A'.repeat(43)}`,
      ]),
    ).rejects.toThrow(/check constraint/);
  });

  it('two replicas’ verifiers both accept a key and both refuse it after a revoke from the CLI', async () => {
    const a = await replica();
    const b = await replica();
    const { key, record } = await a.store.create({ name: 'shared', role: 'writer' });
    // b learns about a key created through a on its next poll.
    await expect.poll(async () => (await b.verifier.verify(key))?.id, POLL).toBe(`key:${record.id}`);
    await a.verifier.refresh();
    expect(await a.verifier.verify(key)).toMatchObject({ kind: 'api_key', role: 'writer' });

    const cwd = makeTempDir();
    writeFileSync(join(cwd, 'bastion.yaml'), `state:\n  url: ${db.url}\n`);
    const run = await runCli(['keys', 'revoke', record.id], { cwd });
    expect(run.code, run.stderr).toBe(0);

    await expect.poll(() => a.verifier.verify(key), POLL).toBeUndefined();
    await expect.poll(() => b.verifier.verify(key), POLL).toBeUndefined();
    const list = await runCli(['keys', 'list'], { cwd });
    expect(list.stdout).toContain(record.id);
    expect(list.stdout).not.toContain(key);
    expect(list.stdout).not.toContain(hashApiKey(key));
  });

  it('polls PostgreSQL at least every 2 s (so a revoke lands well within 5 s)', async () => {
    const { verifier } = await replica();
    expect(verifier.refreshIntervalMs).toBeLessThanOrEqual(2_000);
  });

  it('revoke answers false for an unknown id; list shows the revocation', async () => {
    const { store } = await replica();
    const { record } = await store.create({ name: 'ci', role: 'reader' });
    expect(await store.revoke('key_AAAAAAAA')).toBe(false);
    expect(await store.revoke(record.id)).toBe(true);
    const [listed] = await store.list();
    expect(listed?.revokedAt).toBeInstanceOf(Date);
  });

  it('records last use in batches off the verification path', async () => {
    const store = await openApiKeyStore(config, log);
    const { key, record } = await store.create({ name: 'ci', role: 'reader' });
    const verifier = await ApiKeyVerifier.create({ store, log });
    for (let i = 0; i < 3; i++) expect(await verifier.verify(key)).toBeDefined();
    verifier.close();
    await store.close();
    const row = await db.admin('SELECT last_used_at FROM bastion_api_keys WHERE id = $1', [record.id]);
    expect(row.rows[0]?.last_used_at).toBeInstanceOf(Date);
  });

  it('refuses an expired key on PostgreSQL too', async () => {
    const store = await openApiKeyStore(config, log);
    closers.push(() => store.close());
    const expiresAt = new Date(Date.now() + 60_000);
    const { key } = await store.create({ name: 'ci', role: 'reader', expiresAt });
    const verifier = await ApiKeyVerifier.create({ store, log, now: () => expiresAt });
    closers.push(() => verifier.close());
    expect(await verifier.verify(key)).toBeUndefined();
  });
});
