/**
 * The MySQL/MariaDB writer's two connections are bounded like reads. A write whose
 * connection dies while it waits on a row lock — KILL CONNECTION on the server, or the
 * connection closed under it with no error from the server (a restart, a network cut) —
 * fails within 2 s instead of waiting for the client backstop, and changes nothing. (mysql2's
 * promise API, which writes use, fails the command on both today; the writer also watches the
 * connection as reads do, whose raw command can wait forever, so the bound does not rest on
 * that.) With both
 * writer connections held by waiting writes, a third waits at most pool.acquire_timeout_ms
 * and answers SOURCE_BUSY, and the next write after them succeeds. By effect on MariaDB.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type MysqlSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import type { EngineParts } from '../../src/engine/parts.js';
import type { WriteResult } from '../../src/engine/source.js';
import { openMysqlEngine } from '../../src/engines/mysql/index.js';
import { createLogger } from '../../src/log/logger.js';
import { eventually } from '../helpers/eventually.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';

const log = createLogger('silent');
const ACQUIRE_MS = 500;

async function outcomeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'ALLOWED';
  } catch (error) {
    return error instanceof BastionError ? error.code : `RAW ${String(error)}`;
  }
}

describe.skipIf(!mariadb.ok)('MySQL/MariaDB writes: a bounded wait for a connection and a prompt end when it dies', () => {
  let db: TestMysqlDatabase;
  let parts: EngineParts;
  /** A session outside Bastion holding the row lock the writes wait on. */
  let holder: mysql.Connection;
  /** A TCP relay to the server that the test can cut, like a network failure. */
  let relay: Server;
  const relayed = new Set<Socket>();
  let viaRelay: EngineParts;
  let config: MysqlSourceConfig;

  beforeAll(async () => {
    db = await createMysqlDatabase();
    await db.admin('CREATE TABLE ai_items (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB; INSERT INTO ai_items VALUES (1, 0), (2, 0)');
    const configured = sourceSchema.parse({
      engine: 'mysql',
      url: db.url,
      statement_timeout_ms: 30_000,
      pool: { max: 2, connect_timeout_ms: 2000, acquire_timeout_ms: ACQUIRE_MS },
      writes: { enabled: true },
    }) as MysqlSourceConfig;
    config = configured;
    parts = await openMysqlEngine('w', configured, log);
    holder = await mysql.createConnection({ uri: db.url });
    const target = new URL(db.url);
    relay = createServer((client) => {
      const server = connect(Number(target.port || 3306), target.hostname);
      for (const [from, to] of [
        [client, server],
        [server, client],
      ] as const) {
        relayed.add(from);
        from.on('error', () => undefined);
        from.pipe(to);
      }
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = new URL(db.url);
    relayUrl.port = String((relay.address() as { port: number }).port);
    viaRelay = await openMysqlEngine('relay', sourceSchema.parse({ ...config, url: relayUrl.toString() }) as MysqlSourceConfig, log);
  });
  afterAll(async () => {
    for (const socket of relayed) socket.destroy();
    relay?.close();
    await viaRelay?.source.close();
    await holder?.end().catch(() => undefined);
    await parts?.source.close();
    await db?.drop();
  });

  const update = (marker: string, id = 1, through = parts): Promise<WriteResult> => {
    const checked = through.guard.checkWrite!(`UPDATE ai_items SET n = n + 1 WHERE id = ${id} AND '${marker}' <> ''`, 'execute', { prefix: 'ai_', allowUnbounded: false });
    return through.source.write!({ kind: 'dml', sql: checked.sql, params: [], dryRun: false, maxAffectedRows: 10, maxBytes: 1 << 20 });
  };

  /** Server threads now running a statement that carries `marker`. */
  async function threadsOf(marker: string): Promise<number[]> {
    const rows = await db.admin("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'", [`%${marker}%`]);
    return rows.map((row) => Number(row['id']));
  }

  /** Every row back to n = 0, then row 1 locked by a transaction outside Bastion. */
  async function lockRowOne(): Promise<void> {
    await db.admin('UPDATE ai_items SET n = 0');
    await holder.query('START TRANSACTION');
    await holder.query('SELECT n FROM ai_items WHERE id = 1 FOR UPDATE');
  }

  it('a write whose connection is killed while it waits on a row lock fails within 2 s and changes nothing', async () => {
    await lockRowOne();
    const marker = `kill_${randomBytes(3).toString('hex')}`;
    const outcome = outcomeOf(update(marker));
    let thread: number[] = [];
    expect(await eventually(async () => (thread = await threadsOf(marker)).length === 1, 100, 50)).toBe(true);
    const started = Date.now();
    await db.admin(`KILL CONNECTION ${String(thread[0])}`);
    const code = await outcome;
    const elapsed = Date.now() - started;
    expect(code).toBe('SOURCE_UNAVAILABLE');
    expect(elapsed).toBeLessThan(2000);
    console.log(`mysql: a write whose connection was killed ended ${elapsed} ms after KILL`);
    await holder.query('ROLLBACK');
    expect(await db.admin('SELECT n FROM ai_items WHERE id = 1')).toEqual([{ n: 0 }]);
    // The writer's pool hands out a live connection next.
    expect(await update('after_kill')).toMatchObject({ affected: 1, committed: true });
  }, 30_000);

  it('a write whose connection closes under it with no word from the server fails within 2 s and changes nothing', async () => {
    await lockRowOne();
    const marker = `cut_${randomBytes(3).toString('hex')}`;
    const outcome = outcomeOf(update(marker, 1, viaRelay));
    expect(await eventually(async () => (await threadsOf(marker)).length === 1, 100, 50)).toBe(true);
    const started = Date.now();
    for (const socket of relayed) socket.destroy();
    const code = await outcome;
    const elapsed = Date.now() - started;
    expect(code).toBe('SOURCE_UNAVAILABLE');
    expect(elapsed).toBeLessThan(2000);
    console.log(`mysql: a write whose connection was cut ended ${elapsed} ms after the cut`);
    await holder.query('ROLLBACK');
    expect(await db.admin('SELECT n FROM ai_items WHERE id = 1')).toEqual([{ n: 0 }]);
    expect(await update('after_cut', 1, viaRelay)).toMatchObject({ affected: 1, committed: true });
  }, 60_000);

  it('with both writer connections held by waiting writes, a third answers SOURCE_BUSY after the bounded wait; the next write succeeds', async () => {
    await lockRowOne();
    const marker = `busy_${randomBytes(3).toString('hex')}`;
    const waiting = [outcomeOf(update(marker)), outcomeOf(update(marker))];
    expect(await eventually(async () => (await threadsOf(marker)).length === 2, 100, 50)).toBe(true);
    const started = Date.now();
    const third = await outcomeOf(update('third', 2));
    const elapsed = Date.now() - started;
    expect(third).toBe('SOURCE_BUSY');
    // Not a lock wait of its own: it never got a connection (row 2 is not locked).
    expect(elapsed).toBeLessThan(ACQUIRE_MS + 1500);
    expect(await db.admin('SELECT n FROM ai_items WHERE id = 2')).toEqual([{ n: 0 }]);
    await holder.query('ROLLBACK');
    expect(await Promise.all(waiting)).toEqual(['ALLOWED', 'ALLOWED']);
    expect(await update('next', 2)).toMatchObject({ affected: 1, committed: true });
  }, 30_000);
});
