/**
 * `bastion_pool_connections{source,state}`: live pool counts read at scrape time.
 * The gauge itself with fake sources; the MySQL pool's counts (read from mysql2's
 * internals) against a server that never answers and against a real MariaDB; and the
 * whole path on the built binary: a query on a PostgreSQL source, then a scrape that
 * shows that source's pool.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema, sourceSchema, type MysqlSourceConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { openMetrics, type Metrics, type PooledSource } from '../../src/metrics/index.js';
import { openMysqlEngine } from '../../src/engines/mysql/index.js';
import type { Source } from '../../src/engine/source.js';
import { createMysqlDatabase, mariadb } from '../helpers/mariadb.js';
import { createTestDatabase, postgres } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, POLL, rawRequest, runCli, startHttp } from '../helpers/spawn.js';

const requirePg = process.env['BASTION_REQUIRE_PG'] === '1';
const log = createLogger('silent');

afterAll(cleanup);

async function enabledMetrics(): Promise<Metrics> {
  return openMetrics(configSchema.parse({ sources: { demo: { engine: 'pglite' } }, metrics: { enabled: true } }));
}

/** The value of one sample in a Prometheus text exposition; undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${want}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function mysqlConfig(url: string, max: number): MysqlSourceConfig {
  return sourceSchema.parse({ engine: 'mysql', url, pool: { max, connect_timeout_ms: 10_000 } }) as MysqlSourceConfig;
}

describe('bastion_pool_connections (the gauge)', () => {
  it('reports total, idle and waiting per pooled source at scrape time, and nothing for a source without a pool', async () => {
    const metrics = await enabledMetrics();
    let stats = { total: 3, idle: 2, waiting: 1 };
    const sources: PooledSource[] = [
      { name: 'main', source: { poolStats: () => stats } },
      { name: 'demo', source: {} },
      {
        name: 'broken',
        source: {
          poolStats: () => {
            throw new Error('pool internals changed');
          },
        },
      },
    ];
    let list = sources;
    metrics.trackSources(() => list);
    try {
      const text = (await metrics.render()).text;
      expect(text).toContain('# TYPE bastion_pool_connections gauge');
      expect(sample(text, 'bastion_pool_connections', { source: 'main', state: 'total' })).toBe(3);
      expect(sample(text, 'bastion_pool_connections', { source: 'main', state: 'idle' })).toBe(2);
      expect(sample(text, 'bastion_pool_connections', { source: 'main', state: 'waiting' })).toBe(1);
      // A source that cannot report leaves no series, and the scrape still answers.
      expect(text).not.toContain('source="demo"');
      expect(text).not.toContain('source="broken"');

      // Read live: the next scrape shows the new numbers; a source that is gone leaves no stale series.
      stats = { total: 1, idle: 1, waiting: 0 };
      expect(sample((await metrics.render()).text, 'bastion_pool_connections', { source: 'main', state: 'total' })).toBe(1);
      list = [];
      expect((await metrics.render()).text).not.toContain('source="main"');
    } finally {
      metrics.close();
    }
  });
});

describe('MysqlSource.poolStats (mysql2 internals)', () => {
  it('counts a connection being opened and a call queued behind it, against a server that never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const { source } = await openMysqlEngine('shop', mysqlConfig(`mysql://app@127.0.0.1:${port}/shop`, 1), log);
    const reads = [1, 2].map(() => source.read({ sql: 'SELECT 1', params: [], maxRows: 10, maxBytes: 1024 }).catch(() => 'failed'));
    try {
      // One connection in its handshake (the pool's max), the second call waiting for it.
      await expect.poll(() => source.poolStats?.(), POLL).toEqual({ total: 1, idle: 0, waiting: 1 });
    } finally {
      // Stop listening first, so the queued call's own connection is refused at once.
      const closed = new Promise<void>((resolve) => silent.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all(reads);
      await source.close();
      await closed;
    }
  });

  it.skipIf(!mariadb.ok)('after a query on a real MariaDB, the connection is counted, idle in the pool', async () => {
    const db = await createMysqlDatabase();
    let source: Source | undefined;
    try {
      source = (await openMysqlEngine('shop', mysqlConfig(db.url, 3), log)).source;
      await source.read({ sql: 'SELECT 1 AS one', params: [], maxRows: 10, maxBytes: 1024 });
      expect(source.poolStats?.()).toEqual({ total: 1, idle: 1, waiting: 0 });
      const metrics = await enabledMetrics();
      const pooled = source;
      metrics.trackSources(() => [{ name: 'shop', source: pooled }]);
      expect(sample((await metrics.render()).text, 'bastion_pool_connections', { source: 'shop', state: 'total' })).toBe(1);
      metrics.close();
    } finally {
      await source?.close();
      await db.drop();
    }
  });
});

describe.skipIf(!postgres.ok && !requirePg)('bastion_pool_connections on the built binary (PostgreSQL)', () => {
  it('after a query, the scrape shows the pool of that source with total >= 1, and no series for the PGlite source', async () => {
    const db = await createTestDatabase();
    try {
      const cwd = dirWithConfig(
        [
          'sources:',
          '  demo:',
          '    engine: pglite',
          '  main:',
          '    engine: postgres',
          `    url: ${db.url}`,
          'state:',
          '  dir: ./state',
          'metrics:',
          '  enabled: true',
          '',
        ].join('\n'),
      );
      const created = await runCli(['keys', 'create', '--name', 'k-admin', '--role', 'admin'], { cwd });
      expect(created.code, created.stderr).toBe(0);
      const admin = created.stdout.trim();
      const server = await startHttp([], { cwd, auth: true });
      const client = new Client({ name: 'pool-metrics-e2e', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${admin}` } } }));
      try {
        const result = (await client.callTool({ name: 'query', arguments: { source: 'main', sql: 'SELECT 1 AS one' } })) as CallToolResult;
        expect(result.isError).toBeFalsy();
        const res = await rawRequest(`http://${server.hostPort}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
        expect(res.status).toBe(200);
        expect(sample(res.body, 'bastion_pool_connections', { source: 'main', state: 'total' })).toBeGreaterThanOrEqual(1);
        expect(sample(res.body, 'bastion_pool_connections', { source: 'main', state: 'waiting' })).toBe(0);
        expect(sample(res.body, 'bastion_pool_connections', { source: 'main', state: 'idle' })).toBeDefined();
        expect(res.body).not.toContain('bastion_pool_connections{source="demo"');
      } finally {
        await client.close();
        await server.stop();
      }
    } finally {
      await db.drop();
    }
  });
});
