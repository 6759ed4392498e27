/**
 * Several sources in one server: each call goes to the source it names, and a
 * source that cannot be reached fails its own calls with SOURCE_UNAVAILABLE while
 * the others keep answering; when it is back, its calls succeed again without a
 * restart. The outage is a TCP proxy in front of the real PostgreSQL, closed and
 * reopened on the same port.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, PG_ADMIN_URL, postgres, type TestDatabase } from '../helpers/postgres.js';

const requirePg = process.env['BASTION_REQUIRE_PG'] === '1';

/** A proxy to the PostgreSQL server that can be taken down and brought back on one port. */
class Outage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe.skipIf(!postgres.ok && !requirePg)('several sources, one unreachable', () => {
  let db: TestDatabase;
  let outage: Outage;
  let bastion: TestBastion;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(PG_ADMIN_URL);
    outage = new Outage({ host: target.hostname, port: Number(target.port || 5432) });
    await outage.up();
    const url = new URL(db.url);
    url.hostname = '127.0.0.1';
    url.port = String(outage.port);
    bastion = await startBastion({
      sources: { demo: { engine: 'pglite' }, main: { engine: 'postgres', url: url.toString(), pool: { max: 2, idle_timeout_ms: 30_000, connect_timeout_ms: 2_000 } } },
    });
  }, 60_000);
  afterAll(async () => {
    await bastion?.close();
    await outage?.down();
    await db?.drop();
  });

  const count = async (source: string): Promise<unknown> => rowsOf(await bastion.call('query', { source, sql: 'SELECT count(*)::int FROM shop.customers' }))[0]?.[0];

  it('lists both sources with engine and mode, and routes each call by name', async () => {
    const listed = (await bastion.call('list_sources', {})).structuredContent as { sources: { name: string; engine: string; mode: string }[] };
    expect(listed.sources).toEqual([
      { name: 'demo', engine: 'pglite', mode: 'read-only' },
      { name: 'main', engine: 'postgres', mode: 'read-only' },
    ]);
    expect(errorCode(await bastion.call('query', { sql: 'SELECT 1' }))).toBe('INVALID_ARGUMENT');
    expect(await count('main')).toBeGreaterThan(0);
    expect(await count('demo')).toBeGreaterThan(0);
  });

  it('an unreachable source fails its calls clearly, the other keeps answering, and it comes back by itself', async () => {
    await outage.down();
    const failed = await bastion.call('query', { source: 'main', sql: 'SELECT count(*)::int FROM shop.customers' });
    expect(errorCode(failed)).toBe('SOURCE_UNAVAILABLE');
    // The message names no host, port or user.
    expect(JSON.stringify(failed.content)).not.toMatch(/127\.0\.0\.1|:\d{4,5}|postgres@/);
    expect(await count('demo')).toBeGreaterThan(0);

    await outage.up();
    await expect.poll(async () => errorCode(await bastion.call('query', { source: 'main', sql: 'SELECT 1' })) ?? 'OK', { timeout: 15_000, interval: 200 }).toBe('OK');
    expect(await count('main')).toBeGreaterThan(0);
  }, 60_000);
});
