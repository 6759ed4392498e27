/**
 * A row larger than the byte cap is never read on MySQL/MariaDB. mysql2 builds each
 * packet whole before the read sees it, so a 15 MiB value (MariaDB's default
 * max_allowed_packet allows 16 MiB; a server may allow 1 GiB) used to be buffered and
 * decoded in full. Now the packet gate judges each packet by its header: by effect on
 * the real server, the bytes mysql2's parser received stay under the cap while the
 * server sent 15 MiB rows, the call answers truncated with the rows before, the
 * statement no longer runs on the server 3 s later, and the next call is answered.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type MysqlSourceConfig } from '../../src/config/schema.js';
import type { EngineParts } from '../../src/engine/parts.js';
import { openMysqlEngine } from '../../src/engines/mysql/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';

const log = createLogger('silent');
const MIB = 1024 * 1024;
const CAP = { maxRows: 100, maxBytes: MIB };
/** Each row's value: under MariaDB's default max_allowed_packet (16 MiB), fifteen times the cap. */
const VALUE = 15 * MIB;

interface Spy {
  /** Bytes handed to mysql2's own packet parser (after the gate). */
  parsed: number;
  /** Set: the next chunk that carries this text makes the parser throw, as a decoding failure would. */
  throwOn: string | undefined;
}

describe.skipIf(!mariadb.ok)('MySQL/MariaDB: a row larger than the byte cap is never read', () => {
  let db: TestMysqlDatabase;
  let parts: EngineParts;
  const spy: Spy = { parsed: 0, throwOn: undefined };

  beforeAll(async () => {
    db = await createMysqlDatabase();
    const config = sourceSchema.parse({ engine: 'mysql', url: db.url, statement_timeout_ms: 30_000, pool: { max: 3 } }) as MysqlSourceConfig;
    parts = await openMysqlEngine('huge', config, log);
    // Runs before the source's own listener puts the gate on: the gate then feeds this counter,
    // which feeds mysql2's parser. Without the gate every byte of the rows would be counted.
    const core = (parts.source as unknown as { pool: { pool: NodeJS.EventEmitter } }).pool.pool;
    core.prependListener('connection', (connection: { packetParser: { execute(chunk: Buffer): unknown } }) => {
      const parser = connection.packetParser;
      connection.packetParser = {
        execute(chunk: Buffer) {
          if (spy.throwOn !== undefined && chunk.includes(spy.throwOn)) {
            spy.throwOn = undefined;
            throw new RangeError('Cannot create a string longer than 0x1fffffe8 characters');
          }
          spy.parsed += chunk.length;
          return parser.execute(chunk);
        },
      };
    });
  });
  afterAll(async () => {
    await parts?.source.close();
    await db?.drop();
  });

  /** Statements of this database still running a statement that carries `marker` (never the admin's own). */
  async function running(marker: string): Promise<number> {
    const rows = await db.admin("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'", [`%${marker}%`]);
    return Number(rows[0]?.['n']);
  }

  async function nextCallAnswered(): Promise<void> {
    expect((await parts.source.read({ sql: 'SELECT 41 + 1 AS answer', params: [], ...CAP })).rows).toEqual([[42]]);
  }

  it('rows of 15 MiB each: the call answers truncated by bytes with no row, and mysql2 never received one', async () => {
    const marker = `huge_${randomBytes(3).toString('hex')}`;
    spy.parsed = 0;
    const sql = `SELECT n, REPEAT('x', ${VALUE}) AS ${marker} FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) AS t`;
    const result = await parts.source.read({ sql, params: [], ...CAP });
    expect(result.truncated).toBe(true);
    expect(result.truncatedBy).toBe('bytes');
    expect(result.rows).toEqual([]);
    // The server sent at least the first row's packet header; none of its 15 MiB reached the parser.
    expect(spy.parsed).toBeLessThan(CAP.maxBytes);
    console.log(`mysql: ${spy.parsed} bytes reached mysql2's parser for a result of 3 rows of ${VALUE} bytes`);
    await nextCallAnswered();
    // KILL QUERY stopped the statement: nothing of it runs 3 s after the call returned.
    await expect.poll(() => running(marker), { timeout: 3000, interval: 100 }).toBe(0);
  }, 60_000);

  it('rows before the huge one are kept; the read ends at it', async () => {
    const marker = `huge_${randomBytes(3).toString('hex')}`;
    const sql = `SELECT n, CASE WHEN n = 3 THEN REPEAT('y', ${VALUE}) ELSE 'small' END AS ${marker} FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS t ORDER BY n`;
    const result = await parts.source.read({ sql, params: [], ...CAP });
    expect(result.rows).toEqual([
      [1, 'small'],
      [2, 'small'],
    ]);
    expect(result.truncatedBy).toBe('bytes');
    await nextCallAnswered();
    await expect.poll(() => running(marker), { timeout: 3000, interval: 100 }).toBe(0);
  }, 60_000);

  it('values that fit the cap still arrive whole, multi-byte text included (the gate allows three wire bytes a character)', async () => {
    const result = await parts.source.read({ sql: "SELECT REPEAT('x', 300000) AS a, REPEAT('é', 300000) AS b, REPEAT('€', 150000) AS c", params: [], ...CAP });
    expect(result.truncated).toBe(false);
    const [a, b, c] = result.rows[0] as string[];
    expect([a?.length, b?.length, c?.length]).toEqual([300_000, 300_000, 150_000]);
    expect(b?.startsWith('éé')).toBe(true);
  });

  it('a row that fits alone but not after earlier rows ends the read at the cap', async () => {
    const sql = "SELECT n, REPEAT('z', 400000) AS v FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) AS t ORDER BY n";
    const result = await parts.source.read({ sql, params: [], ...CAP });
    expect(result.rows.map((row) => row[0])).toEqual([1, 2]);
    expect(result.truncatedBy).toBe('bytes');
    expect(result.bytes).toBeLessThanOrEqual(CAP.maxBytes);
    await nextCallAnswered();
  });

  it('a throw while an answer is parsed fails that call only (INTERNAL), never the process, and the next call is answered', async () => {
    // The statement's own answer (its column is named so): the throw comes while the read is armed.
    spy.throwOn = 'fault_marker';
    const failed = await parts.source.read({ sql: 'SELECT 1 AS fault_marker', params: [], ...CAP }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ code: 'INTERNAL' });
    expect(spy.throwOn).toBeUndefined();
    await nextCallAnswered();
  });
});
