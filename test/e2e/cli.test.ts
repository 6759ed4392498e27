/**
 * The `bastion` command line as a user meets it: refusals that must stop the start
 * (exit code, a message that says what to do, nothing on stdout), and a source that
 * cannot be reached, which must not stop the start but must fail calls cleanly.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLog } from '../audit/helpers.js';
import { errorCode } from '../helpers/bastion.js';
import { cleanup, dirWithConfig, makeTempDir, parseLogLines, POLL, runCli, STACK_TRACE, startStdio, type CliRun } from '../helpers/spawn.js';

afterEach(cleanup);

/** The process ended by itself (not killed at the deadline) with `code`, and wrote nothing to stdout. */
function expectRefusedStart(run: CliRun, code: number): void {
  expect(run.timedOut).toBe(false);
  expect(run.signal).toBeNull();
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
}

describe('bastion serve: refusals that stop the start', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10'])('serve --http --no-auth --host %s exits 2 refusing the non-loopback bind', async (host) => {
    const run = await runCli(['serve', '--http', '--no-auth', '--host', host, '--port', '0'], { cwd: makeTempDir() });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain(`non-loopback address ${host}`);
    expect(run.stderr).toMatch(/refused/);
    expect(run.stderr).not.toContain('bastion serving over HTTP');
  });

  it('serve --port with a non-number exits 2 naming --port', async () => {
    const run = await runCli(['serve', '--http', '--no-auth', '--port', 'eighty'], { cwd: makeTempDir() });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('--port');
  });

  it('./bastion.yaml with "read_only: ture" under a source exits 2 naming sources.<name>.read_only', async () => {
    const cwd = dirWithConfig(['sources:', '  demo:', '    engine: pglite', '    read_only: ture', ''].join('\n'));
    const run = await runCli(['serve'], { cwd });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('sources.demo.read_only');
  });

  it('./bastion.yaml with an unknown top-level key "sorces:" exits 2 naming the key', async () => {
    const cwd = dirWithConfig(['sorces:', '  demo:', '    engine: pglite', ''].join('\n'));
    const run = await runCli(['serve'], { cwd });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain("'sorces'");
    expect(run.stderr).toMatch(/unknown key/);
  });

  it('an unknown key nested under a source (statment_timeout_ms) exits 2 naming it and its path', async () => {
    const cwd = dirWithConfig(['sources:', '  demo:', '    engine: pglite', '    statment_timeout_ms: 1000', ''].join('\n'));
    const run = await runCli(['serve'], { cwd });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('sources.demo');
    expect(run.stderr).toContain("'statment_timeout_ms'");
  });

  it('--config pointing at a typo config exits 2 the same way (the file need not be ./bastion.yaml)', async () => {
    const dir = dirWithConfig(['sources:', '  demo:', '    engine: pglite', '    read_only: ture', ''].join('\n'));
    const run = await runCli(['serve', '--config', `${dir}/bastion.yaml`], { cwd: makeTempDir() });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('sources.demo.read_only');
  });

  it('a config whose url is ${MISSING_VAR} exits 2 naming the variable and the key', async () => {
    const cwd = dirWithConfig(['sources:', '  main:', '    engine: postgres', '    url: ${MISSING_VAR}', ''].join('\n'));
    const run = await runCli(['serve'], { cwd, env: { MISSING_VAR: undefined } });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('MISSING_VAR');
    expect(run.stderr).toContain('sources.main.url');
  });
});

describe('bastion serve: an unreachable PostgreSQL source (127.0.0.1:1) with a password in its URL', () => {
  const PASSWORD = 'unreachablesecret';

  it('still starts (pools connect lazily); a query fails with SOURCE_UNAVAILABLE and the password is in neither the result nor the log', async () => {
    const cwd = dirWithConfig(
      [
        'sources:',
        '  main:',
        '    engine: postgres',
        `    url: postgres://postgres:${PASSWORD}@127.0.0.1:1/app`,
        '    pool:',
        '      connect_timeout_ms: 5000',
        '',
      ].join('\n'),
    );
    const bastion = await startStdio([], { cwd });
    try {
      const { tools } = await bastion.client.listTools();
      expect(tools.map((t) => t.name)).toContain('query');

      const results: CallToolResult[] = [];
      results.push((await bastion.client.callTool({ name: 'query', arguments: { sql: 'SELECT 1' } })) as CallToolResult);
      results.push((await bastion.client.callTool({ name: 'list_tables', arguments: {} })) as CallToolResult);
      for (const result of results) {
        expect(result.isError).toBe(true);
        expect(errorCode(result)).toBe('SOURCE_UNAVAILABLE');
        const text = JSON.stringify(result);
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain('127.0.0.1:1');
        expect(text).not.toContain('ECONNREFUSED');
        expect(text).not.toMatch(STACK_TRACE);
      }

      await expect.poll(() => parseLogLines(bastion.stderr()).filter((l) => l['code'] === 'SOURCE_UNAVAILABLE').length, POLL).toBe(2);
      expect(bastion.stderr()).not.toContain(PASSWORD);
      expect(parseLogLines(bastion.stderr()).filter((l) => 'unparsed' in l)).toEqual([]);
      expect(bastion.transportErrors).toEqual([]);
    } finally {
      await bastion.close();
    }
  });
});

describe('bastion audit verify: progress when stderr is piped', () => {
  it('writes plain progress lines to stderr (no \\r, no escape) and only the result to stdout', async () => {
    const cwd = makeTempDir();
    await writeLog(cwd, 200);
    const run = await runCli(['audit', '--dir', cwd, 'verify'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OK: 200 record\(s\) verified/);
    expect(run.stdout).not.toContain('audit verify:');
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect(lines[0]).toMatch(/^audit verify: verifying the hash chain in /);
    expect(lines.at(-1)).toMatch(/ 100% \(200 record\(s\)\)$/);
    expect(run.stderr.endsWith('\n')).toBe(true);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain('\u001b');
  });
});
