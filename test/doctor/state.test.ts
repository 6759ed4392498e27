import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { checkEnvFile, checkStateDir } from '../../src/doctor/state.js';
import { createLogger } from '../../src/log/logger.js';

const FILES = { filesInFolder: true };

/** Whether the API key store opens `dir` (true) or refuses it (false). */
async function keyStoreOpens(dir: string): Promise<boolean> {
  try {
    const store = await FileApiKeyStore.open(dir, createLogger('silent'));
    await store.close();
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-doctor-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('state-dir', () => {
  it('names the folder and the rule that chose it', () => {
    mkdirSync(join(dir, '.bastion'));
    const check = checkStateDir({ dir: join(dir, '.bastion'), from: 'beside the configuration file' }, FILES);
    expect(check).toMatchObject({ id: 'state-dir', status: 'pass', detail: `${join(dir, '.bastion')} (beside the configuration file)` });
  });

  it('a folder that does not exist yet passes when it can be created, and says so', () => {
    const check = checkStateDir({ dir: join(dir, 'home', '.local', 'state', 'bastion'), from: 'per-user state directory' }, FILES);
    expect(check.status).toBe('pass');
    expect(check.detail).toContain('created at the first start');
  });

  it('fails when a file stands where the folder should be: serve could not start', () => {
    writeFileSync(join(dir, 'state'), '');
    const check = checkStateDir({ dir: join(dir, 'state', 'bastion'), from: 'BASTION_STATE_DIR' }, FILES);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(`${join(dir, 'state')} is not a folder`);
    expect(check.fix).toContain('BASTION_STATE_DIR');
  });

  it.skipIf(process.platform === 'win32')('through a symlinked BASTION_STATE_DIR, fails for exactly the folder modes the key store refuses', async () => {
    const target = join(dir, 'real');
    mkdirSync(target);
    const link = join(dir, 'state-link');
    symlinkSync(target, link);
    const verdicts: { mode: string; store: boolean; doctor: string }[] = [];
    for (const mode of [0o700, 0o750, 0o755, 0o770, 0o775, 0o702, 0o777]) {
      chmodSync(target, mode);
      const doctor = checkStateDir({ dir: link, from: 'BASTION_STATE_DIR' }, FILES).status;
      verdicts.push({ mode: mode.toString(8), store: await keyStoreOpens(link), doctor });
    }
    // The store opens a folder only others cannot write; doctor passes exactly those.
    expect(verdicts.map((v) => [v.mode, v.store, v.doctor])).toEqual([
      ['700', true, 'pass'],
      ['750', true, 'pass'],
      ['755', true, 'pass'],
      ['770', false, 'fail'],
      ['775', false, 'fail'],
      ['702', false, 'fail'],
      ['777', false, 'fail'],
    ]);
    chmodSync(target, 0o777);
    const check = checkStateDir({ dir: link, from: 'BASTION_STATE_DIR' }, FILES);
    expect(check.detail).toContain('can be written by other users (mode 0777)');
    expect(check.fix).toBe(`chmod 700 ${link}`);
  });

  it.skipIf(process.platform === 'win32')('fails a folder others can write also when keys and approvals live in PostgreSQL (state.url): the audit chains are there', () => {
    const target = join(dir, 'shared');
    mkdirSync(target);
    chmodSync(target, 0o777);
    const check = checkStateDir({ dir: target, from: 'state.dir' }, { filesInFolder: false });
    expect(check).toMatchObject({ status: 'fail', fix: `chmod 700 ${target}` });
    expect(check.detail).toContain('the audit chains');
  });

  it('fails on a symlink to a folder that does not exist, which the store cannot create either', async () => {
    const link = join(dir, 'dangling');
    symlinkSync(join(dir, 'nowhere'), link);
    const check = checkStateDir({ dir: link, from: 'BASTION_STATE_DIR' }, FILES);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('a symbolic link to a folder that does not exist');
    expect(await keyStoreOpens(link)).toBe(false);
  });
});

describe('env-file', () => {
  it('names the .env that was loaded and how many variables it set', () => {
    writeFileSync(join(dir, '.env'), 'A=1\n', { mode: 0o600 });
    const check = checkEnvFile({ path: join(dir, '.env'), applied: 1 }, join(dir, 'bastion.yaml'));
    expect(check).toMatchObject({ id: 'env-file', status: 'pass' });
    expect(check.detail).toContain(`loaded ${join(dir, '.env')} (1 variable(s)`);
  });

  it('says when there is none, and that without a configuration file none is read', () => {
    expect(checkEnvFile(undefined, join(dir, 'bastion.yaml')).detail).toContain(`no .env beside ${join(dir, 'bastion.yaml')}`);
    expect(checkEnvFile(undefined, undefined).detail).toContain('without a configuration file no .env is loaded');
  });

  it('warns when every user of the host can read the secrets in it', () => {
    writeFileSync(join(dir, '.env'), 'A=1\n');
    chmodSync(join(dir, '.env'), 0o644);
    const check = checkEnvFile({ path: join(dir, '.env'), applied: 1 }, join(dir, 'bastion.yaml'));
    expect(check.status).toBe('warn');
    expect(check.fix).toBe(`chmod 600 ${join(dir, '.env')}`);
  });

  it('fails when every user of the host can rewrite it (and so redirect a source to their own server)', () => {
    writeFileSync(join(dir, '.env'), 'A=1\n');
    chmodSync(join(dir, '.env'), 0o666);
    const check = checkEnvFile({ path: join(dir, '.env'), applied: 1 }, join(dir, 'bastion.yaml'));
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('0666');
  });
});
