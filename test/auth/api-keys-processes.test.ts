/**
 * The API key file shared by several processes (`bastion keys` and running servers):
 * two real processes create and revoke keys at the same moment, and no record of one
 * is lost to the other's read-modify-write; every key created still authenticates.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { hashApiKey } from '../../src/auth/api-keys/key.js';
import { createLogger } from '../../src/log/logger.js';
import { killChildren, startNodeChild } from '../helpers/node-child.js';

/** argv: dist URL, state folder, a name prefix, how many keys to create, ids to revoke (JSON). */
const HAMMER = `
const { FileApiKeyStore } = await import(process.argv[1] + '/auth/api-keys/file-store.js');
const { createLogger } = await import(process.argv[1] + '/log/logger.js');
const [dir, prefix, count, revokeJson] = process.argv.slice(2);
const store = await FileApiKeyStore.open(dir, createLogger('silent'));
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const made = Array.from({ length: Number(count) }, (_, i) => store.create({ name: prefix + i, role: 'reader' }).then((c) => ({ id: c.record.id, key: c.key })));
const revoked = JSON.parse(revokeJson).map((id) => store.revoke(id));
const keys = await Promise.all(made);
await Promise.all(revoked);
process.stdout.write('created ' + JSON.stringify(keys) + '\\n');
await store.close();
`;

let dir: string;
afterEach(async () => {
  await killChildren();
  await rm(dir, { recursive: true, force: true });
});

describe('the API key file under several processes', () => {
  it('two processes creating and revoking at once lose no key and no revocation', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bastion-keys-processes-'));
    const store = await FileApiKeyStore.open(dir, createLogger('silent'));
    const existing: string[] = [];
    for (let i = 0; i < 10; i++) existing.push((await store.create({ name: `old${i}`, role: 'reader' })).record.id);
    const children = ['a', 'b'].map((prefix, half) =>
      startNodeChild(HAMMER, [dir, prefix, '30', JSON.stringify(existing.filter((_, i) => i % 2 === half))]),
    );
    // Both loaded and opened the store before either starts, so their changes overlap.
    await Promise.all(children.map((c) => c.said('ready')));
    for (const c of children) c.child.stdin.end('go\n');
    const results = await Promise.all(children.map((c) => c.exited));
    for (const r of results) expect(r.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual([0, 0]);

    const created = results.flatMap((r) => JSON.parse(/^created (.*)$/m.exec(r.stdout)?.[1] ?? '[]') as { id: string; key: string }[]);
    expect(created).toHaveLength(60);
    const list = await store.list();
    expect(list).toHaveLength(70);
    // Every key either process made authenticates, and every revocation of either is kept.
    for (const { id, key } of created) expect((await store.findByHash(hashApiKey(key)))?.id).toBe(id);
    for (const id of existing) expect(list.find((k) => k.id === id)?.revokedAt).not.toBeNull();
    await store.close();
  }, 120_000);
});
