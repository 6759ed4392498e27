/**
 * Where state goes, by one rule for every command: BASTION_STATE_DIR, else state.dir
 * (relative to the configuration file's folder), else `.bastion/` beside the file,
 * else the per-user state directory of the platform. The working folder never counts.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { locateState, userStateDir } from '../../src/config/state-dir.js';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { BastionError } from '../../src/errors/codes.js';
import { createLogger } from '../../src/log/logger.js';

const LINUX_HOME = '/home/ada';

function refusal(fn: () => unknown): BastionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BastionError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the per-user state directory', () => {
  it('on Linux is $XDG_STATE_HOME/bastion when set, else ~/.local/state/bastion', () => {
    expect(userStateDir({ platform: 'linux', env: { XDG_STATE_HOME: '/var/lib/ada-state' }, homedir: LINUX_HOME })).toBe('/var/lib/ada-state/bastion');
    expect(userStateDir({ platform: 'linux', env: {}, homedir: LINUX_HOME })).toBe('/home/ada/.local/state/bastion');
    expect(userStateDir({ platform: 'freebsd', env: {}, homedir: '/usr/home/ada' })).toBe('/usr/home/ada/.local/state/bastion');
  });

  it('ignores a relative XDG_STATE_HOME, as the XDG spec says (it would depend on the working folder)', () => {
    expect(userStateDir({ platform: 'linux', env: { XDG_STATE_HOME: 'state' }, homedir: LINUX_HOME })).toBe('/home/ada/.local/state/bastion');
  });

  it('on macOS is ~/Library/Application Support/bastion, whatever XDG_STATE_HOME says', () => {
    expect(userStateDir({ platform: 'darwin', env: { XDG_STATE_HOME: '/tmp/x' }, homedir: '/Users/ada' })).toBe('/Users/ada/Library/Application Support/bastion');
  });

  it('on Windows is %LOCALAPPDATA%\\bastion, else AppData\\Local under the home folder', () => {
    expect(userStateDir({ platform: 'win32', env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, homedir: 'C:\\Users\\ada' })).toBe('C:\\Users\\ada\\AppData\\Local\\bastion');
    expect(userStateDir({ platform: 'win32', env: {}, homedir: 'C:\\Users\\ada' })).toBe('C:\\Users\\ada\\AppData\\Local\\bastion');
  });

  it('refuses to guess when the account has no home folder, instead of falling back to the working folder', () => {
    const error = refusal(() => userStateDir({ platform: 'linux', env: {}, homedir: '' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('BASTION_STATE_DIR');
    expect(refusal(() => userStateDir({ platform: 'darwin', env: {}, homedir: 'relative' })).code).toBe('CONFIG_INVALID');
  });
});

describe('the state location rule', () => {
  const user = { platform: 'linux' as const, env: {}, homedir: LINUX_HOME };

  it('without a configuration file: the per-user state directory', () => {
    expect(locateState({ override: undefined, configured: undefined, configFile: undefined, user })).toEqual({
      dir: '/home/ada/.local/state/bastion',
      from: 'per-user state directory',
    });
  });

  it('with a configuration file: .bastion/ beside it, or its state.dir resolved against its folder', () => {
    expect(locateState({ override: undefined, configured: undefined, configFile: '/srv/app/bastion.yaml', user })).toEqual({
      dir: '/srv/app/.bastion',
      from: 'beside the configuration file',
    });
    expect(locateState({ override: undefined, configured: '../shared-state', configFile: '/srv/app/bastion.yaml', user })).toEqual({
      dir: '/srv/shared-state',
      from: 'state.dir',
    });
    expect(locateState({ override: undefined, configured: '/var/lib/bastion', configFile: '/srv/app/bastion.yaml', user }).dir).toBe('/var/lib/bastion');
  });

  it('BASTION_STATE_DIR overrides both the file and the per-user directory', () => {
    expect(locateState({ override: '/data/b', configured: 'x', configFile: '/srv/app/bastion.yaml', user })).toEqual({ dir: '/data/b', from: 'BASTION_STATE_DIR' });
    expect(locateState({ override: '/data/b', configured: undefined, configFile: undefined, user })).toEqual({ dir: '/data/b', from: 'BASTION_STATE_DIR' });
  });

  it('refuses a relative BASTION_STATE_DIR, which would mean a different folder for each working folder', () => {
    const error = refusal(() => locateState({ override: 'state', configured: undefined, configFile: undefined, user }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('BASTION_STATE_DIR');
  });
});

describe('loadConfig: every path absolute, none relative to the working folder', () => {
  const user = { platform: 'linux' as const, homedir: LINUX_HOME };

  function project(yaml: string): { dir: string; file: string; elsewhere: string } {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-project-'));
    const file = join(dir, 'bastion.yaml');
    writeFileSync(file, yaml);
    const elsewhere = mkdtempSync(join(tmpdir(), 'bastion-cwd-'));
    return { dir, file, elsewhere };
  }

  it('a relative state.dir in a --config file resolves against the file\'s folder, not the working folder', () => {
    const { dir, file, elsewhere } = project('state:\n  dir: ./my-state\n');
    const loaded = loadConfig({ configPath: file, cwd: elsewhere, env: {}, user });
    expect(loaded.config.state.dir).toBe(join(dir, 'my-state'));
    expect(loaded.state.from).toBe('state.dir');
  });

  it('a relative --config path is taken from the working folder, then everything in it from the file\'s folder', () => {
    const { dir, elsewhere } = project('state:\n  dir: my-state\n');
    const loaded = loadConfig({ configPath: join('..', basename(dir), 'bastion.yaml'), cwd: elsewhere, env: {}, user });
    expect(loaded.configFile).toBe(join(dir, 'bastion.yaml'));
    expect(loaded.config.state.dir).toBe(join(dir, 'my-state'));
  });

  it('state defaults to .bastion/ beside the configuration file (BASTION_CONFIG), whatever the working folder', () => {
    const { dir, file, elsewhere } = project('sources:\n  demo:\n    engine: pglite\n');
    const loaded = loadConfig({ cwd: elsewhere, env: { BASTION_CONFIG: file }, user });
    expect(loaded.config.state.dir).toBe(join(dir, '.bastion'));
    expect(loaded.state.from).toBe('beside the configuration file');
    // audit.dir unset: the audit log follows state (audit.dir ?? state.dir).
    expect(loaded.config.audit.dir).toBeUndefined();
  });

  it('without a configuration file, state goes to the per-user state directory, not the working folder', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'bastion-cwd-'));
    const loaded = loadConfig({ cwd: elsewhere, env: { XDG_STATE_HOME: '/xdg' }, user });
    expect(loaded.config.state.dir).toBe('/xdg/bastion');
    expect(loaded.state.from).toBe('per-user state directory');
    expect(loaded.configFile).toBeUndefined();
  });

  it('BASTION_STATE_DIR overrides state.dir of the file', () => {
    const { file, elsewhere } = project('state:\n  dir: ./my-state\n');
    expect(loadConfig({ configPath: file, cwd: elsewhere, env: { BASTION_STATE_DIR: '/srv/state' }, user }).config.state.dir).toBe('/srv/state');
  });

  it('source files, file roots, TLS files and audit.dir in the file resolve against its folder', () => {
    const { dir, file, elsewhere } = project(
      [
        'sources:',
        '  lite:',
        '    engine: sqlite',
        '    path: data/app.db',
        '  embedded:',
        '    engine: pglite',
        '    path: ./pgdata',
        'files:',
        '  roots: [docs, /abs/root]',
        'server:',
        '  http:',
        '    tls: { cert_file: tls/cert.pem, key_file: tls/key.pem, client_ca_file: tls/ca.pem }',
        'audit:',
        '  dir: ../audit',
        '',
      ].join('\n'),
    );
    const { config } = loadConfig({ configPath: file, cwd: elsewhere, env: {}, user });
    expect(config.sources['lite']).toMatchObject({ path: join(dir, 'data', 'app.db') });
    expect(config.sources['embedded']).toMatchObject({ path: join(dir, 'pgdata') });
    expect(config.files.roots).toEqual([join(dir, 'docs'), '/abs/root']);
    expect(config.server.http.tls).toMatchObject({ cert_file: join(dir, 'tls', 'cert.pem'), key_file: join(dir, 'tls', 'key.pem'), client_ca_file: join(dir, 'tls', 'ca.pem') });
    expect(config.audit.dir).toBe(join(dir, '..', 'audit'));
  });

  it('--db sqlite:./x.db and --files DIR are relative to the working folder they were typed in, made absolute at load', () => {
    const { dir, file, elsewhere } = project('files:\n  roots: [docs]\n');
    mkdirSync(join(elsewhere, 'more'));
    const { config } = loadConfig({ configPath: file, db: 'sqlite:./x.db', files: ['more'], cwd: elsewhere, env: {}, user });
    expect(config.sources['main']).toMatchObject({ engine: 'sqlite', path: join(elsewhere, 'x.db') });
    expect(config.files.roots).toEqual([join(dir, 'docs'), join(elsewhere, 'more')]);
  });
});

describe('a state folder reached through a symbolic link', () => {
  it('attack: a link swapped while the server runs does not move its state (the real path is pinned at start-up)', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'bastion-link-'));
    const real = join(shared, 'real');
    const other = join(shared, 'other');
    mkdirSync(real, { mode: 0o700 });
    mkdirSync(other, { mode: 0o700 });
    const link = join(shared, 'state');
    symlinkSync(real, link);
    const { config, state } = loadConfig({ env: { BASTION_STATE_DIR: link }, cwd: shared, user: { platform: 'linux', homedir: LINUX_HOME } });
    expect(config.state.dir).toBe(real);
    expect(state.dir).toBe(real);
    // Another user swaps the link for one to their own folder, as `ln -sfn … && mv -T …` does.
    symlinkSync(other, `${link}.new`);
    renameSync(`${link}.new`, link);
    const store = await FileApiKeyStore.open(config.state.dir, createLogger('silent'));
    await store.create({ name: 'after-swap', role: 'reader' });
    expect(existsSync(join(real, 'api-keys.json'))).toBe(true);
    expect(existsSync(join(other, 'api-keys.json'))).toBe(false);
  });
});
