/**
 * `bastion serve` options a user meets on day one, on the built binary: --rate-limit
 * and what a limited caller is told, the connect help on stderr (npm start asks for it),
 * a busy port, the --help text, and the non-loopback rule (TLS here or at a proxy, auth always).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCode } from '../helpers/bastion.js';
import { cleanup, dirWithConfig, makeTempDir, rawRequest, REPO_ROOT, runCli, STACK_TRACE, startHttp, startStdio, type CliRun } from '../helpers/spawn.js';

afterEach(cleanup);

const DEMO = ['sources:', '  demo:', '    engine: pglite', 'state:', '  dir: ./state'];

/** The process ended by itself with `code`, wrote nothing to stdout and no stack trace. */
function expectRefusedStart(run: CliRun, code: number): void {
  expect(run.timedOut).toBe(false);
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr).not.toMatch(STACK_TRACE);
}

function text(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

/** Calls list_sources `count` times over stdio; the outcome of each (OK or the error code) and the last result. */
async function listSources(args: string[], cwd: string, count: number): Promise<{ outcomes: string[]; last: CallToolResult }> {
  const bastion = await startStdio(args, { cwd });
  try {
    const outcomes: string[] = [];
    let last: CallToolResult | undefined;
    for (let i = 0; i < count; i++) {
      last = (await bastion.client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult;
      outcomes.push(errorCode(last) ?? 'OK');
    }
    return { outcomes, last: last as CallToolResult };
  } finally {
    await bastion.close();
  }
}

describe('serve --rate-limit', () => {
  it('limits the local stdio user without a config file, and the refusal says how to raise the limit', async () => {
    const { outcomes, last } = await listSources(['--rate-limit', '2'], makeTempDir(), 3);
    expect(outcomes).toEqual(['OK', 'OK', 'RATE_LIMITED']);
    expect(text(last)).toContain('this principal (2 calls/min)');
    expect(text(last)).toContain('--rate-limit N');
    expect(text(last)).toContain('rate_limits.per_principal_per_minute');
  });

  it('wins over rate_limits.per_principal_per_minute of the config file', async () => {
    const cwd = dirWithConfig([...DEMO, 'rate_limits:', '  per_principal_per_minute: 100', ''].join('\n'));
    const { outcomes } = await listSources(['--rate-limit', '1'], cwd, 2);
    expect(outcomes).toEqual(['OK', 'RATE_LIMITED']);
  });

  it.each(['0', '-5', 'abc', '2.5', '60/min'])('--rate-limit %s exits 2 naming the flag', async (value) => {
    const run = await runCli(['serve', '--rate-limit', value], { cwd: makeTempDir() });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('--rate-limit: expected a whole number of calls per minute');
    expect(run.stderr).toContain(JSON.stringify(value));
  });
});

describe('serve --http: the connect help', () => {
  it('npm start asks for it, so the quick start prints it whatever stderr is', () => {
    const start = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'];
    expect(start).toMatch(/serve --http .*--connect-help/);
  });

  it('with --connect-help it is written to stderr without a terminal, with the URL and the client snippets', async () => {
    const server = await startHttp(['--connect-help'], { cwd: makeTempDir() });
    await expect.poll(() => server.stderr(), { timeout: 15_000, interval: 50 }).toContain(`Bastion is listening at ${server.url}`);
    expect(server.stderr()).toContain(`claude mcp add --transport http bastion ${server.url}`);
    expect(server.stderr()).toContain('"mcpServers"');
  });

  it('names the credential a client needs when authentication is on', async () => {
    const cwd = dirWithConfig([...DEMO, ''].join('\n'));
    const server = await startHttp(['--connect-help'], { cwd, auth: true });
    await expect.poll(() => server.stderr(), { timeout: 15_000, interval: 50 }).toContain('bastion keys create');
    expect(server.stderr()).toContain('Authorization: Bearer <API key>');
    expect(server.stderr()).not.toContain('no authentication');
  });

  it.each([[[]], [['--no-connect-help']]])('is left out without a terminal unless asked, and with --no-connect-help (args: %j)', async (args) => {
    const server = await startHttp(args, { cwd: makeTempDir() });
    // The server is up and answering, and still no help was printed: stderr holds JSON log lines only.
    expect((await rawRequest(`http://${server.hostPort}/healthz`)).status).toBe(200);
    expect(server.stderr()).not.toContain('Bastion is listening at');
  });
});

describe('serve --http on a busy port', () => {
  let holder: Server | undefined;
  afterEach(async () => new Promise<void>((resolve) => (holder === undefined ? resolve() : holder.close(() => resolve()))));

  it('exits 2 naming the port and how to choose another, not a raw EADDRINUSE', async () => {
    holder = createServer();
    const port = await new Promise<number>((resolve) => holder?.listen(0, '127.0.0.1', () => resolve((holder?.address() as { port: number }).port)));
    const run = await runCli(['serve', '--http', '--no-auth', '--port', String(port)], { cwd: makeTempDir() });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain(`Port ${port} is already in use on 127.0.0.1`);
    expect(run.stderr).toContain('--port N or server.http.port');
    expect(run.stderr).not.toContain('EADDRINUSE');
  });
});

describe('serve --help', () => {
  it('lists every --db form, --rate-limit and --[no-]connect-help', async () => {
    const run = await runCli(['serve', '--help'], { cwd: makeTempDir() });
    expect(run.code).toBe(0);
    for (const form of ['postgres://', 'postgresql://', 'mysql://', 'mariadb://', 'sqlite:PATH', 'pglite:DIR', '--rate-limit', '--connect-help', '--no-connect-help']) {
      expect(run.stdout).toContain(form);
    }
  });
});

describe('serve --http on a non-loopback address', () => {
  it.each(['0.0.0.0', '::'])('without TLS exits 2 and says how to fix it (--host %s)', async (host) => {
    const run = await runCli(['serve', '--http', '--host', host, '--port', '0'], { cwd: dirWithConfig([...DEMO, ''].join('\n')) });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain(`non-loopback address ${host} without TLS is refused`);
    expect(run.stderr).toContain('server.http.tls_terminated_by_proxy: true');
    expect(run.stderr).not.toContain('bastion serving over HTTP');
  });

  it('starts with server.http.tls_terminated_by_proxy: true, with authentication required, and doctor agrees', async () => {
    const cwd = dirWithConfig([...DEMO, 'server:', '  http:', '    host: 0.0.0.0', '    tls_terminated_by_proxy: true', ''].join('\n'));
    const server = await startHttp([], { cwd, auth: true });
    // Reached through loopback (0.0.0.0 listens there too): a request without a credential is refused.
    const res = await rawRequest(`http://127.0.0.1:${server.port}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    const doctor = await runCli(['doctor', '--json'], { cwd });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string }[] }).checks;
    expect(checks.find((c) => c.id === 'http-exposure')?.status).toBe('pass');
    // With no trusted proxy listed, the throttle and the audit see only the proxy: doctor says so.
    expect(checks.find((c) => c.id === 'trusted-proxies')?.status).toBe('warn');
  });

  it('--no-auth is still refused there, even with tls_terminated_by_proxy', async () => {
    const cwd = dirWithConfig([...DEMO, 'server:', '  http:', '    host: 0.0.0.0', '    tls_terminated_by_proxy: true', ''].join('\n'));
    const run = await runCli(['serve', '--http', '--no-auth', '--port', '0'], { cwd });
    expectRefusedStart(run, 2);
    expect(run.stderr).toContain('--no-auth is refused on the non-loopback address 0.0.0.0');
  });
});
