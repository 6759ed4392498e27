/**
 * The state folder's owner, as OpenSSH's StrictModes checks ~/.ssh: another local user
 * who could create the folder, a state file in it or a folder above it could plant an
 * admin API key or an approved request. Run as root, the tests hand files to `nobody`
 * the way that user would have made them; the mode rules run for any user.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { serializeKeyFile } from '../../src/auth/api-keys/file-format.js';
import { buildNewKey } from '../../src/auth/api-keys/new-key.js';
import { checkStateDir } from '../../src/doctor/state.js';
import { createLogger } from '../../src/log/logger.js';

const NOBODY = 65534;
const asRoot = process.platform !== 'win32' && process.geteuid?.() === 0;
const posix = process.platform !== 'win32';
const log = createLogger('silent');

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'bastion-owner-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** What `bastion keys create --name planted --role admin` run by another user leaves: their folder, their 0600 file. */
function plantedKeyFolder(): { dir: string; key: string } {
  const dir = join(base, '.bastion');
  mkdirSync(dir, { mode: 0o700 });
  const { stored, key } = buildNewKey({ name: 'planted', role: 'admin' }, new Date(), new Set());
  writeFileSync(join(dir, 'api-keys.json'), serializeKeyFile([stored]), { mode: 0o600 });
  return { dir, key };
}

describe.skipIf(!asRoot)('state written by another user is refused', () => {
  it('a state folder another user created with a planted admin key: the store refuses to open, naming the path, the owner and the fix', async () => {
    const { dir } = plantedKeyFolder();
    chownSync(dir, NOBODY, NOBODY);
    chownSync(join(dir, 'api-keys.json'), NOBODY, NOBODY);
    const opened = FileApiKeyStore.open(dir, log);
    await expect(opened).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(opened).rejects.toThrow(`${dir} is owned by uid ${NOBODY}, not by this user (uid 0)`);
    await expect(opened).rejects.toThrow('BASTION_STATE_DIR');
    // doctor says the same about the same folder.
    const check = checkStateDir({ dir, from: 'state.dir' }, { filesInFolder: true });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(`owned by uid ${NOBODY}`);
  });

  it('a planted key file in our own folder: never read, so the planted key is not accepted', async () => {
    const { dir } = plantedKeyFolder();
    chownSync(join(dir, 'api-keys.json'), NOBODY, NOBODY);
    await expect(FileApiKeyStore.open(dir, log)).rejects.toThrow(`owned by uid ${NOBODY}`);
    chownSync(join(dir, 'api-keys.json'), 0, 0);
    // Once it is ours (the owner looked at it and took it), it is read.
    const store = await FileApiKeyStore.open(dir, log);
    expect((await store.list()).map((k) => k.name)).toEqual(['planted']);
    await store.close();
  });

  it('an approvals file another user wrote (an approved request) is refused, not read', async () => {
    const dir = join(base, '.bastion');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'approvals.json'), '{"version":1,"approvals":[]}', { mode: 0o600 });
    chownSync(join(dir, 'approvals.json'), NOBODY, NOBODY);
    await expect(FileApprovalStore.open(dir)).rejects.toThrow(`${join(dir, 'approvals.json')} is owned by uid ${NOBODY}`);
  });
});

describe.skipIf(!posix)('the folders above the state folder', () => {
  it('a parent every user can write, without the sticky bit, is refused: another user could move the state folder away', async () => {
    const parent = join(base, 'shared');
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    const dir = join(parent, '.bastion');
    await expect(FileApiKeyStore.open(dir, log)).rejects.toThrow(`${parent}, above ${dir}, can be written by every user (mode 0777, no sticky bit)`);
    const check = checkStateDir({ dir, from: 'beside the configuration file' }, { filesInFolder: true });
    expect(check.status).toBe('fail');
    expect(check.fix).toContain(`chmod o-w ${parent}`);
  });

  it('a parent with the sticky bit (as /tmp) is fine: only the owner of an entry may rename it', async () => {
    const parent = join(base, 'sticky');
    mkdirSync(parent);
    chmodSync(parent, 0o1777);
    const store = await FileApiKeyStore.open(join(parent, '.bastion'), log);
    await store.close();
    expect(checkStateDir({ dir: join(parent, '.bastion'), from: 'state.dir' }, { filesInFolder: true }).status).toBe('pass');
  });
});
