/**
 * `.env` beside the configuration file is read, never overriding a variable already
 * set; and a command resolves only the ${VAR}s of the sections it uses.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { BastionError } from '../../src/errors/codes.js';

const user = { platform: 'linux' as const, homedir: '/home/ada' };
const PG_SOURCE = 'sources:\n  main:\n    engine: postgres\n    url: ${DB_PASSWORD_URL}\n';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-env-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function refusal(fn: () => unknown): BastionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BastionError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function urlOf(config: ReturnType<typeof loadConfig>['config'], name = 'main'): string | undefined {
  const source = config.sources[name];
  return source !== undefined && 'url' in source ? source.url : undefined;
}

describe('.env beside the configuration file', () => {
  it('attack: a .env every user may rewrite (pointing a source at their server) stops the start, its values unused', () => {
    const project = folder({ 'bastion.yaml': PG_SOURCE, '.env': 'DB_PASSWORD_URL=postgres://app:x@attacker.example/app\n' });
    chmodSync(join(project, '.env'), 0o666);
    const error = refusal(() => loadConfig({ configPath: join(project, 'bastion.yaml'), env: {}, user }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('writable by every user');
    expect(error.message).not.toContain('attacker.example');
  });

  it('fills the ${VAR}s of the configuration from the .env in the file\'s folder, from any working folder', () => {
    const project = folder({ 'bastion.yaml': PG_SOURCE, '.env': 'DB_PASSWORD_URL=postgres://app:from-dotenv@127.0.0.1/app\n' });
    const elsewhere = folder({});
    const loaded = loadConfig({ configPath: join(project, 'bastion.yaml'), cwd: elsewhere, env: {}, user });
    expect(urlOf(loaded.config)).toBe('postgres://app:from-dotenv@127.0.0.1/app');
    expect(loaded.envFile).toEqual({ path: join(project, '.env'), applied: 1 });
  });

  it('never overrides a variable the environment already sets, even to an empty value', () => {
    const project = folder({
      'bastion.yaml': `${PG_SOURCE}log:\n  level: \${LEVEL}\n`,
      '.env': 'DB_PASSWORD_URL=postgres://app:from-dotenv@127.0.0.1/app\nLEVEL=debug\nBASTION_LOG_LEVEL=trace\n',
    });
    const env = { DB_PASSWORD_URL: 'postgres://app:from-shell@127.0.0.1/app', BASTION_LOG_LEVEL: 'warn', LEVEL: '' };
    const loaded = loadConfig({ configPath: join(project, 'bastion.yaml'), env, user });
    expect(urlOf(loaded.config)).toBe('postgres://app:from-shell@127.0.0.1/app');
    expect(loaded.config.log.level).toBe('warn');
    expect(loaded.envFile?.applied).toBe(0);
  });

  it('is never loaded into the process environment: its secrets reach only the configuration', () => {
    const name = `BASTION_TEST_ONLY_${process.pid}`;
    const project = folder({ 'bastion.yaml': `${PG_SOURCE}`, '.env': `DB_PASSWORD_URL=postgres://x@127.0.0.1/x\n${name}=leaked\n` });
    loadConfig({ configPath: join(project, 'bastion.yaml'), env: { ...process.env }, user });
    expect(process.env[name]).toBeUndefined();
  });

  it('without a configuration file, a .env in the working folder is not read (it is not the project\'s)', () => {
    const cwd = folder({ '.env': 'BASTION_DB=postgres://intruder@127.0.0.1/x\n' });
    const loaded = loadConfig({ cwd, env: {}, user });
    expect(loaded.envFile).toBeUndefined();
    expect(Object.keys(loaded.config.sources)).toEqual(['demo']);
  });

  it('with --config elsewhere, the .env of the working folder is ignored and the file\'s own is used', () => {
    const project = folder({ 'bastion.yaml': PG_SOURCE, '.env': 'DB_PASSWORD_URL=postgres://right@127.0.0.1/app\n' });
    const cwd = folder({ '.env': 'DB_PASSWORD_URL=postgres://wrong@127.0.0.1/app\n' });
    expect(urlOf(loadConfig({ configPath: join(project, 'bastion.yaml'), cwd, env: {}, user }).config)).toBe('postgres://right@127.0.0.1/app');
  });

  it('an unset variable names the key, the variable and the .env that could set it', () => {
    const project = folder({ 'bastion.yaml': PG_SOURCE });
    const error = refusal(() => loadConfig({ configPath: join(project, 'bastion.yaml'), env: {}, user }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('sources.main.url');
    expect(error.message).toContain('DB_PASSWORD_URL');
    expect(error.message).toContain(join(project, '.env'));
  });

  it('a ${constructor} reference is an unset variable, not a property every object inherits', () => {
    const project = folder({ 'bastion.yaml': 'sources:\n  main:\n    engine: postgres\n    url: ${constructor}\n' });
    expect(refusal(() => loadConfig({ configPath: join(project, 'bastion.yaml'), env: {}, user })).message).toContain('constructor is not set');
  });
});

describe('commands resolve only the ${VAR}s of the sections they use', () => {
  it('a command that does not use sources loads without the database password, with state where serve keeps it', () => {
    const project = folder({ 'bastion.yaml': `${PG_SOURCE}roles:\n  analyst:\n    tools: [query]\n` });
    const loaded = loadConfig({ configPath: join(project, 'bastion.yaml'), sections: ['state', 'auth', 'roles', 'log'], env: {}, user });
    expect(Object.keys(loaded.config.roles)).toEqual(['analyst']);
    expect(loaded.config.state.dir).toBe(join(project, '.bastion'));
    // The section with the unset variable is left out: nothing carries the unresolved text.
    expect(JSON.stringify(loaded.config)).not.toContain('DB_PASSWORD_URL');
  });

  it('an unset variable in a section the command uses still stops it, naming the key', () => {
    const project = folder({ 'bastion.yaml': `${PG_SOURCE}state:\n  url: \${STATE_URL}\n` });
    const error = refusal(() => loadConfig({ configPath: join(project, 'bastion.yaml'), sections: ['state', 'log'], env: {}, user }));
    expect(error.message).toContain('state.url');
    expect(error.message).toContain('STATE_URL');
    expect(error.message).not.toContain('DB_PASSWORD_URL');
  });

  it('a typo in a section the command does not use is still an error (only unset variables are forgiven)', () => {
    const project = folder({ 'bastion.yaml': 'sources:\n  main:\n    engine: postgres\n    url: postgres://x@127.0.0.1/x\n    statment_timeout_ms: 5\n' });
    expect(refusal(() => loadConfig({ configPath: join(project, 'bastion.yaml'), sections: ['state'], env: {}, user })).message).toContain('statment_timeout_ms');
  });

  it('serve and doctor (every section) refuse the same file, naming the key', () => {
    const project = folder({ 'bastion.yaml': PG_SOURCE });
    expect(refusal(() => loadConfig({ configPath: join(project, 'bastion.yaml'), env: {}, user })).message).toContain('sources.main.url: environment variable DB_PASSWORD_URL is not set');
  });
});
