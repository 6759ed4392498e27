/**
 * Several servers on one state folder, as a desktop client with several windows plus an
 * HTTP server in the same project run them: three stdio servers and one HTTP server of
 * the built binary start at once on one folder, each answers calls and asks for
 * approvals, a person decides approvals created by different servers with the CLI (each
 * run records its decision in a chain of its own), and afterwards every chain verifies,
 * each server's holding a record of every call it answered, and the approvals file
 * holds every decision.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import { cleanup, makeTempDir, POLL, runCli, spawnBastion, startHttp, startStdio } from '../helpers/spawn.js';

afterAll(async () => cleanup());

interface Server {
  readonly name: string;
  readonly client: Client;
  /** Correlation ids of every answer this server gave. */
  readonly answered: string[];
  close(): Promise<void>;
}

function correlationOf(result: CallToolResult): string {
  const meta = result._meta ?? {};
  const id = meta['bastion/correlation_id'] ?? (meta['bastion/error'] as { correlation_id?: unknown } | undefined)?.correlation_id;
  if (typeof id !== 'string') throw new Error('answer without a correlation id');
  return id;
}

async function call(server: Server, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await server.client.callTool({ name, arguments: args })) as CallToolResult;
  server.answered.push(correlationOf(result));
  return result;
}

describe('three stdio servers and one HTTP server on one state folder (built binary)', () => {
  it('all start, each writes its own chain, approvals decided with the CLI reach the right server, and verify passes over every record', async () => {
    const home = makeTempDir();
    const state = join(home, 'state');
    const config = join(home, 'bastion.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        '  demo:',
        '    engine: pglite',
        '    writes:',
        '      enabled: true',
        'rate_limits:',
        '  per_principal_per_minute: 100000',
        'state:',
        `  dir: ${JSON.stringify(state)}`,
        '',
      ].join('\n'),
    );
    // Each process runs from another folder, as clients spawn them: only the config names the state.
    const launch = (): { cwd: string } => ({ cwd: makeTempDir() });
    const created = await runCli(['keys', '--config', config, 'create', '--name', 'http-agent', '--role', 'writer'], launch());
    expect(created.code).toBe(0);
    const [s1, s2, s3, http] = await Promise.all([
      startStdio(['--config', config], launch()),
      startStdio(['--config', config], launch()),
      startStdio(['--config', config], launch()),
      startHttp(['--config', config], { ...launch(), auth: true }),
    ]);
    const httpClient = new Client({ name: 'shared-state', version: '1' });
    const headers = { authorization: `Bearer ${created.stdout.trim()}` };
    await httpClient.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers } }));
    const servers: Server[] = [
      ...[s1, s2, s3].map((s, i) => ({ name: `stdio-${i + 1}`, client: s.client, answered: [], close: () => s.close() })),
      { name: 'http', client: httpClient, answered: [], close: async () => (await httpClient.close(), await http.stop()) },
    ];

    // Reads on every server at once, then one write each, which only asks for a person's approval.
    await Promise.all(servers.flatMap((server) => Array.from({ length: 5 }, (_, i) => call(server, 'query', { sql: 'SELECT $1::int AS n', params: [i] }))));
    const pending = new Map<Server, string>();
    for (const [i, server] of servers.entries()) {
      const result = await call(server, 'execute', { sql: `UPDATE shop.customers SET country = 'Z${i}' WHERE id = ${i + 1}`, dry_run: false });
      const content = (result.structuredContent ?? {}) as { status?: string; approval_id?: string };
      expect(content.status, `${server.name}: ${JSON.stringify(result.content)}`).toBe('pending');
      pending.set(server, content.approval_id ?? '');
    }

    // A person approves two servers' requests and denies the other two, from the CLI, at the same time.
    const decisions = servers.map((server, i) => ({ server, id: pending.get(server) ?? '', approve: i % 2 === 0 }));
    const runs = await Promise.all(
      decisions.map(({ id, approve }) => runCli(['approvals', '--config', config, approve ? 'approve' : 'deny', id, ...(approve ? ['--yes'] : [])], launch())),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);

    // Each server runs its approved change once; a denied one stays refused.
    for (const { server, id, approve } of decisions) {
      const index = servers.indexOf(server);
      const retry = await call(server, 'execute', { sql: `UPDATE shop.customers SET country = 'Z${index}' WHERE id = ${index + 1}`, dry_run: false, approval_id: id });
      if (approve) expect(retry.structuredContent, server.name).toMatchObject({ committed: true, affected_rows: 1 });
      else expect(retry.isError, server.name).toBe(true);
    }

    // Each CLI run recorded its decision in its own chain, once.
    const cliChains = [...chainTexts(state, 'cli').values()].map(recordsOf);
    expect(cliChains).toHaveLength(4);
    for (const { id, approve } of decisions) {
      const records = cliChains.flat().filter((r) => (r['approval'] as { id?: string } | undefined)?.id === id);
      expect(records.map((r) => [r['outcome'], r['decision']])).toEqual([['decided', approve ? 'allow' : 'deny']]);
    }
    const chainOf = (server: Server): Record<string, unknown>[] => {
      const found = [...chainTexts(state, 'servers').values()].map(recordsOf).filter((records) => records.some((r) => r['correlation_id'] === server.answered[0]));
      expect(found, server.name).toHaveLength(1);
      return found[0] ?? [];
    };

    for (const server of servers) await server.close();

    // Four servers' chains, each holding a record of every answer that server gave, and the four CLI runs' chains.
    const chains = chainTexts(state);
    expect(chainTexts(state, 'servers').size).toBe(4);
    expect(chains.size).toBe(8);
    for (const server of servers) {
      const ids = new Set(chainOf(server).map((r) => r['correlation_id']));
      expect(server.answered.filter((id) => !ids.has(id)), server.name).toEqual([]);
    }
    const total = [...chains.values()].reduce((n, text) => n + recordsOf(text).length, 0);
    const calls = servers.reduce((n, server) => n + server.answered.length, 0);
    expect(total).toBeGreaterThanOrEqual(calls);

    const verify = await runCli(['audit', '--config', config, 'verify'], launch());
    expect(verify.stdout).toContain(`OK: 8 chain(s) in ${state}; ${total} record(s) verified in all.`);
    expect(verify.stdout).not.toContain('FAILED');
    expect(verify.code).toBe(0);

    // The approvals file holds every decision, whichever process wrote it.
    const list = await runCli(['approvals', '--config', config, 'list', '--all', '--json'], launch());
    expect(list.code).toBe(0);
    const stored = JSON.parse(list.stdout) as { id: string; status: string }[];
    for (const { id, approve } of decisions) expect(stored.find((a) => a.id === id)?.status).toBe(approve ? 'used' : 'denied');
  }, 180_000);
});

describe('a configured audit.instance names one chain (built binary)', () => {
  it('a server killed with -9 leaves a lock that does not stop the next start, which continues its chain; a second live writer is refused', async () => {
    const home = makeTempDir();
    const state = join(home, 'state');
    const config = join(home, 'bastion.yaml');
    writeFileSync(config, ['sources:', '  demo:', '    engine: pglite', 'state:', `  dir: ${JSON.stringify(state)}`, 'audit:', '  instance: desk-1', ''].join('\n'));
    const chain = join(state, 'audit', 'desk-1');

    const first = await startStdio(['--config', config], { cwd: home });
    expect((await first.client.callTool({ name: 'list_sources', arguments: {} })).isError).toBeFalsy();
    // A second process with the same instance would fork the chain: refused at start, saying why and how to fix it.
    const second = spawnBastion(['serve', '--config', config], { cwd: home });
    let stderr = '';
    second.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => second.once('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('is writing the audit chain of instance "desk-1"');
    expect(stderr).toContain('leave audit.instance unset');
    expect(stderr).not.toContain('    at ');

    // kill -9: the lock stays behind, naming a process that no longer exists.
    const pid = first.transport.pid ?? 0;
    process.kill(pid, 'SIGKILL');
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, POLL).toBe(false);
    expect(readFileSync(join(chain, 'audit.lock'), 'utf8')).toContain(`"pid":${pid}`);

    const next = await startStdio(['--config', config], { cwd: home });
    expect((await next.client.callTool({ name: 'list_sources', arguments: {} })).isError).toBeFalsy();
    await next.close();
    await first.close();
    expect(existsSync(join(chain, 'audit.lock'))).toBe(false);
    // One chain, continued: both servers' calls in it, and it verifies.
    expect(chainTexts(state).size).toBe(1);
    const tools = recordsOf(chainTexts(state).get('desk-1') ?? '').map((r) => r['tool']);
    expect(tools.filter((t) => t === 'list_sources')).toHaveLength(2);
    const verify = await runCli(['audit', '--config', config, 'verify'], { cwd: home });
    expect(verify.stdout).toMatch(/^OK: \d+ record\(s\) verified in .*desk-1/);
    expect(verify.code).toBe(0);
  }, 120_000);
});
