import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { writeSchemasOf } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';

function writeConfig(text: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-config-'));
  const path = join(dir, 'bastion.yaml');
  writeFileSync(path, text);
  return { dir, path };
}

function failure(fn: () => unknown): BastionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BastionError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const EMPTY_ENV = {};

describe('configuration: secure defaults', () => {
  it('no config and no --db serves the embedded demo database, read-only, with the documented caps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-empty-'));
    const { config } = loadConfig({ cwd: dir, env: EMPTY_ENV });
    expect(config.sources).toEqual({ demo: expect.objectContaining({ engine: 'pglite', writes: expect.objectContaining({ enabled: false }), statement_timeout_ms: 30_000 }) });
    expect(config.limits).toEqual({ max_rows: 1000, max_bytes: 1024 * 1024, max_in_flight_per_principal: 4 });
    expect(config.server.http).toMatchObject({ host: '127.0.0.1', port: 7300, max_body_bytes: 1024 * 1024, max_json_depth: 64 });
  });

  it('the audit is on, written before the answer and synced at least every 100 ms by default; the interval is bounded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-empty-'));
    expect(loadConfig({ cwd: dir, env: EMPTY_ENV }).config.audit).toMatchObject({ enabled: true, durability: 'write', sync_interval_ms: 100 });
    for (const bad of [0, 1001, 2.5]) {
      const { dir: badDir } = writeConfig(`audit:\n  sync_interval_ms: ${bad}\n`);
      expect(failure(() => loadConfig({ cwd: badDir, env: EMPTY_ENV })).code).toBe('CONFIG_INVALID');
    }
  });

  it('./bastion.yaml is picked up from the working directory', () => {
    const { dir } = writeConfig('sources:\n  local:\n    engine: pglite\n');
    expect(Object.keys(loadConfig({ cwd: dir, env: EMPTY_ENV }).config.sources)).toEqual(['local']);
  });

  it('--db makes one source named main', () => {
    const { config } = loadConfig({ db: 'postgres://u:p@127.0.0.1/db', env: EMPTY_ENV, cwd: tmpdir() });
    expect(config.sources['main']).toMatchObject({ engine: 'postgres', writes: { enabled: false, max_affected_rows: 1000, prefix: 'ai_' }, statement_timeout_ms: 30_000, lock_timeout_ms: 5_000 });
    // Typed in the working folder, so relative to it, and absolute from the start on.
    expect(loadConfig({ db: 'pglite:./data', env: EMPTY_ENV, cwd: tmpdir() }).config.sources['main']).toMatchObject({ engine: 'pglite', path: join(tmpdir(), 'data') });
  });
});

describe('configuration: mistakes stop the start and name the key', () => {
  it('a typo in a safety value (read_only: ture) is an error, never a permissive default', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: postgres\n    url: postgres://127.0.0.1/db\n    read_only: ture\n');
    const error = failure(() => loadConfig({ configPath: path, env: EMPTY_ENV }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('sources.main.read_only');
  });

  it('read_only: false is refused: writes are turned on only with writes.enabled', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: pglite\n    read_only: false\n');
    expect(failure(() => loadConfig({ configPath: path, env: EMPTY_ENV })).message).toContain('sources.main.read_only');
  });

  it('an unknown key is an error that names it', () => {
    const { path } = writeConfig('sorces:\n  main:\n    engine: pglite\n');
    const error = failure(() => loadConfig({ configPath: path, env: EMPTY_ENV }));
    expect(error.message).toMatch(/unknown key 'sorces'/);
  });

  it('an unknown key inside a source is an error', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: pglite\n    statment_timeout_ms: 5\n');
    expect(failure(() => loadConfig({ configPath: path, env: EMPTY_ENV })).message).toMatch(/sources\.main.*statment_timeout_ms/);
  });

  it('a wrong type is an error that names the key', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: pglite\nlimits:\n  max_rows: "lots"\n');
    expect(failure(() => loadConfig({ configPath: path, env: EMPTY_ENV })).message).toContain('limits.max_rows');
  });

  it('the plan-cost guard is off unless set, and a bound that is not a positive number is refused by name', () => {
    const off = loadConfig({ configPath: writeConfig('sources:\n  main:\n    engine: pglite\n').path, env: EMPTY_ENV }).config.limits;
    expect(off.max_plan_cost).toBeUndefined();
    expect(off.max_plan_rows).toBeUndefined();
    const on = loadConfig({ configPath: writeConfig('sources:\n  main:\n    engine: pglite\nlimits:\n  max_plan_cost: 1e7\n  max_plan_rows: 50000\n').path, env: EMPTY_ENV });
    expect(on.config.limits).toMatchObject({ max_plan_cost: 10_000_000, max_plan_rows: 50_000 });
    const { path } = writeConfig('sources:\n  main:\n    engine: pglite\nlimits:\n  max_plan_cost: 0\n');
    expect(failure(() => loadConfig({ configPath: path, env: EMPTY_ENV })).message).toContain('limits.max_plan_cost');
  });

  it('an unknown engine is an error', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: oracle\n');
    expect(failure(() => loadConfig({ configPath: path, env: EMPTY_ENV })).message).toContain('sources.main');
  });

  it('a duplicated key in YAML is an error, not last-one-wins', () => {
    const { path } = writeConfig('limits:\n  max_rows: 10\n  max_rows: 100000\nsources:\n  main:\n    engine: pglite\n');
    expect(failure(() => loadConfig({ configPath: path, env: EMPTY_ENV })).code).toBe('CONFIG_INVALID');
  });

  it('a missing config file is an error', () => {
    expect(failure(() => loadConfig({ configPath: '/nonexistent/bastion.yaml', env: EMPTY_ENV })).code).toBe('CONFIG_INVALID');
  });

  it('--db accepts mysql://, mariadb:// and sqlite: as one source named main', () => {
    expect(loadConfig({ db: 'mysql://root@127.0.0.1/test', env: EMPTY_ENV, cwd: tmpdir() }).config.sources['main']).toMatchObject({ engine: 'mysql', url: 'mysql://root@127.0.0.1/test' });
    expect(loadConfig({ db: 'mariadb://root@127.0.0.1/test', env: EMPTY_ENV, cwd: tmpdir() }).config.sources['main']).toMatchObject({ engine: 'mysql', url: 'mysql://root@127.0.0.1/test' });
    expect(loadConfig({ db: 'sqlite:./data/app.db', env: EMPTY_ENV, cwd: tmpdir() }).config.sources['main']).toMatchObject({ engine: 'sqlite', path: join(tmpdir(), 'data', 'app.db') });
  });

  it('writes.schemas defaults to the engine\'s namespace; a MySQL URL without a database needs it listed', () => {
    const sqlite = writeConfig('sources:\n  main:\n    engine: sqlite\n    path: ./x.db\n    writes:\n      enabled: true\n');
    expect(writeSchemasOf(loadConfig({ configPath: sqlite.path, env: EMPTY_ENV }).config.sources['main']!)).toEqual(['main']);
    const mysql = writeConfig('sources:\n  main:\n    engine: mysql\n    url: mysql://bastion@127.0.0.1/shop\n    writes:\n      enabled: true\n');
    expect(writeSchemasOf(loadConfig({ configPath: mysql.path, env: EMPTY_ENV }).config.sources['main']!)).toEqual(['shop']);
    const pg = writeConfig('sources:\n  main:\n    engine: pglite\n    writes:\n      enabled: true\n');
    expect(writeSchemasOf(loadConfig({ configPath: pg.path, env: EMPTY_ENV }).config.sources['main']!)).toEqual(['public']);
    const bare = writeConfig('sources:\n  main:\n    engine: mysql\n    url: mysql://bastion@127.0.0.1/\n    writes:\n      enabled: true\n');
    expect(failure(() => loadConfig({ configPath: bare.path, env: EMPTY_ENV })).message).toContain('sources.main.writes.schemas');
  });

  it('unsupported --db schemes say what is available', () => {
    expect(failure(() => loadConfig({ db: 'ftp://x', env: EMPTY_ENV, cwd: tmpdir() })).message).toMatch(/postgres:\/\/.*mysql:\/\/.*sqlite:/);
  });
});

describe('configuration: secrets', () => {
  it('${ENV} is interpolated, so the secret never sits in the file', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: postgres\n    url: ${DATABASE_URL}\n');
    const { config } = loadConfig({ configPath: path, env: { DATABASE_URL: 'postgres://app:s3cret@127.0.0.1/db' } });
    expect(config.sources['main']).toMatchObject({ url: 'postgres://app:s3cret@127.0.0.1/db' });
  });

  it('an unset variable names the variable and the key', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: postgres\n    url: ${MISSING_DATABASE_URL}\n');
    const error = failure(() => loadConfig({ configPath: path, env: EMPTY_ENV }));
    expect(error.message).toContain('MISSING_DATABASE_URL');
    expect(error.message).toContain('sources.main.url');
  });

  it('a validation error never echoes the connection string or its password', () => {
    const { path } = writeConfig('sources:\n  main:\n    engine: postgres\n    url: postgres://app:hunter2@db.internal/prod\n    pool: { max: "x" }\n');
    const error = failure(() => loadConfig({ configPath: path, env: EMPTY_ENV }));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('db.internal');
  });

  it('BASTION_ environment variables configure the server', () => {
    const { config } = loadConfig({ env: { BASTION_DB: 'postgres://127.0.0.1/x', BASTION_LOG_LEVEL: 'warn' }, cwd: tmpdir() });
    expect(config.sources['main']).toMatchObject({ engine: 'postgres' });
    expect(config.log.level).toBe('warn');
  });
});
