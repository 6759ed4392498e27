import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkEnvFile, checkStateDir } from '../../src/doctor/state.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-doctor-state-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('state-dir', () => {
  it('names the folder and the rule that chose it', () => {
    mkdirSync(join(dir, '.bastion'));
    const check = checkStateDir({ dir: join(dir, '.bastion'), from: 'beside the configuration file' });
    expect(check).toMatchObject({ id: 'state-dir', status: 'pass', detail: `${join(dir, '.bastion')} (beside the configuration file)` });
  });

  it('a folder that does not exist yet passes when it can be created, and says so', () => {
    const check = checkStateDir({ dir: join(dir, 'home', '.local', 'state', 'bastion'), from: 'per-user state directory' });
    expect(check.status).toBe('pass');
    expect(check.detail).toContain('created at the first start');
  });

  it('fails when a file stands where the folder should be: serve could not start', () => {
    writeFileSync(join(dir, 'state'), '');
    const check = checkStateDir({ dir: join(dir, 'state', 'bastion'), from: 'BASTION_STATE_DIR' });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(`${join(dir, 'state')} is not a folder`);
    expect(check.fix).toContain('BASTION_STATE_DIR');
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
