/**
 * `bastion init` and `bastion doctor` through the built binary, the way a user runs
 * them: exit codes, what is written, and that a bad deployment is named item by item.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeTempDir, runCli, startHttp } from '../helpers/spawn.js';
import { PG_ADMIN_URL, postgres } from '../helpers/postgres.js';

afterAll(cleanup);

interface JsonCheck {
  id: string;
  status: 'pass' | 'warn' | 'fail';
  title: string;
  detail: string;
  fix: string;
}

function parseChecks(stdout: string): JsonCheck[] {
  return (JSON.parse(stdout) as { checks: JsonCheck[] }).checks;
}

const failing = (checks: JsonCheck[]): string[] => [...new Set(checks.filter((c) => c.status === 'fail').map((c) => c.id))].sort();

describe('bastion init (built binary)', () => {
  it('writes both files, refuses a second run without --force and leaves them unchanged, and the result passes doctor', async () => {
    const cwd = makeTempDir();
    writeFileSync(join(cwd, '.gitignore'), 'dist/\n');
    const first = await runCli(['init'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('bastion.yaml');
    expect(first.stdout).toContain('.env.example');
    const yaml = readFileSync(join(cwd, 'bastion.yaml'), 'utf8');
    writeFileSync(join(cwd, '.env.example'), 'EDITED=1\n');

    const second = await runCli(['init'], { cwd });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Use --force');
    expect(readFileSync(join(cwd, 'bastion.yaml'), 'utf8')).toBe(yaml);
    expect(readFileSync(join(cwd, '.env.example'), 'utf8')).toBe('EDITED=1\n');

    expect((await runCli(['init', '--force'], { cwd })).code).toBe(0);
    expect(readFileSync(join(cwd, '.gitignore'), 'utf8')).toBe('dist/\n.env\n.bastion/\n');

    const doctor = await runCli(['doctor'], { cwd });
    expect(doctor.stdout).toContain('0 failed');
    expect(doctor.code).toBe(0);
  });

  it('--dir writes into another folder', async () => {
    const cwd = makeTempDir();
    expect((await runCli(['init', '--dir', 'conf'], { cwd })).code).toBe(0);
    expect(readFileSync(join(cwd, 'conf', 'bastion.yaml'), 'utf8')).toContain('sources:');
  });
});

describe('bastion doctor (built binary)', () => {
  it('the default configuration (embedded demo, no file) passes with exit 0, and --json parses', async () => {
    const cwd = makeTempDir();
    const text = await runCli(['doctor'], { cwd });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^PASS {2}http-exposure/m);
    const json = await runCli(['doctor', '--json'], { cwd });
    expect(json.code).toBe(0);
    const checks = parseChecks(json.stdout);
    expect(failing(checks)).toEqual([]);
    for (const c of checks) expect(Object.keys(c).sort()).toEqual(['detail', 'fix', 'id', 'status', 'title']);
  });

  it('a deliberately bad deployment fails with every item named and exit 1, never printing the password', async () => {
    const cwd = makeTempDir();
    const url = new URL(PG_ADMIN_URL);
    if (url.password === '') url.password = 'literal-doctor-pw';
    const password = decodeURIComponent(url.password);
    writeFileSync(
      join(cwd, 'bastion.yaml'),
      [
        'sources:',
        '  main:',
        '    engine: postgres',
        `    url: ${url.toString()}`,
        'server:',
        '  http:',
        '    host: 0.0.0.0',
        '    allowed_origins: ["https://*"]',
        'auth:',
        '  api_keys:',
        '    enabled: false',
        'state:',
        '  dir: ./state',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    mkdirSync(join(cwd, 'state'), { mode: 0o700 });
    writeFileSync(join(cwd, 'state', 'api-keys.json'), '{"version":1,"keys":[]}');
    chmodSync(join(cwd, 'state', 'api-keys.json'), 0o644);

    const json = await runCli(['doctor', '--json'], { cwd });
    expect(json.code).toBe(1);
    const expected = ['auth', 'cors', 'file-permissions', 'http-exposure', 'secrets-in-file', ...(postgres.ok ? ['database-role'] : [])].sort();
    expect(failing(parseChecks(json.stdout))).toEqual(expected);

    const text = await runCli(['doctor', '--config', 'bastion.yaml'], { cwd });
    expect(text.code).toBe(1);
    for (const id of expected) expect(text.stdout).toMatch(new RegExp(`^FAIL {2}${id} `, 'm'));
    expect(text.stdout + text.stderr + json.stdout).not.toContain(password);
  });

  it('an invalid configuration is one failing item, not a crash', async () => {
    const cwd = makeTempDir();
    writeFileSync(join(cwd, 'bastion.yaml'), 'sources:\n  demo:\n    engine: pglite\nlimitz: {}\n');
    const run = await runCli(['doctor'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}config .*limitz/m);
  });

  it('--url: a server requiring authentication passes; one started with --no-auth is flagged', async () => {
    const cwd = makeTempDir();
    const secured = await startHttp([], { cwd, auth: true });
    const pass = await runCli(['doctor', '--json', '--url', secured.url], { cwd });
    await secured.stop();
    const probe = parseChecks(pass.stdout).filter((c) => c.id.startsWith('url-'));
    expect(probe.map((c) => [c.id, c.status])).toEqual([['url-health', 'pass'], ['url-auth', 'pass']]);

    const open = await startHttp([], { cwd });
    const flagged = await runCli(['doctor', '--json', '--url', open.url], { cwd });
    await open.stop();
    const auth = parseChecks(flagged.stdout).find((c) => c.id === 'url-auth');
    // Loopback: a warning, not a failure (a network address would fail).
    expect(auth?.status).toBe('warn');
    expect(auth?.detail).toContain('answers without authentication');
  });
});
