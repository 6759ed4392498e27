/**
 * The API key file shared by several processes (`bastion keys` and running servers):
 * two real processes create and revoke keys at the same moment, and no record of one
 * is lost to the other's read-modify-write; every key created still authenticates.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { hashApiKey } from '../../src/auth/api-keys/key.js';
import { createLogger } from '../../src/log/logger.js';
import { killChildren, startNodeChild } from '../helpers/node-child.js';
import { REPO_ROOT } from '../helpers/spawn.js';

/** Whether this test run can start a process in a PID namespace of its own (root and util-linux's unshare). */
function canUnshare(): boolean {
  if (process.platform !== 'linux' || process.geteuid?.() !== 0) return false;
  try {
    execFileSync('unshare', ['-p', '-f', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

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

  it.skipIf(!canUnshare())('a process in another PID namespace (same host name, its pid meaningless here) and one outside create at once: no key is lost', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bastion-keys-namespace-'));
    const store = await FileApiKeyStore.open(dir, createLogger('silent'));
    // Both start creating once both are ready, so their changes overlap.
    let ready = 0;
    const children: ReturnType<typeof spawn>[] = [];
    const run = (prefix: string, namespaced: boolean): Promise<string> => {
      const node = [process.execPath, '--input-type=module', '-e', HAMMER, pathToFileURL(join(REPO_ROOT, 'dist')).href, dir, prefix, '150', '[]'];
      const child = namespaced ? spawn('unshare', ['-p', '-f', ...node]) : spawn(process.execPath, node.slice(1));
      children.push(child);
      let stdout = '';
      child.stdout?.on('data', (d: Buffer) => {
        const before = stdout;
        stdout += d.toString();
        if (!before.includes('ready\n') && stdout.includes('ready\n') && ++ready === 2) for (const c of children) c.stdin?.end('go\n');
      });
      return new Promise((resolve) => child.on('close', () => resolve(stdout)));
    };
    const outputs = await Promise.all([run('inside', true), run('outside', false)]);
    const created = outputs.flatMap((o) => JSON.parse(/^created (.*)$/m.exec(o)?.[1] ?? '[]') as { id: string; key: string }[]);
    expect(created).toHaveLength(300);
    expect(await store.list()).toHaveLength(300);
    for (const { id, key } of created) expect((await store.findByHash(hashApiKey(key)))?.id).toBe(id);
    await store.close();
  }, 120_000);
});
