/**
 * The PostgreSQL audit sink against a real server: replicas share one table with a
 * chain each, appends share transactions, and every change made to the table outside
 * the sink (edit, delete, renumber, insert, cut tail) is named by the verifier at the
 * first bad position. A sink that loses its database refuses every later append.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { digest } from '../../src/audit/chain.js';
import { AuditLogError, AuditPgSink, canonicalJson, listPgAuditInstances, recordHash, verifyPgAuditLog, type AuditKey, type AuditSinkLogger } from '../../src/audit/index.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { callEvent } from './helpers.js';

const N = 50;

describe.skipIf(!postgres.ok)('AuditPgSink (PostgreSQL)', () => {
  let db: TestDatabase;
  let table: string;
  let tables = 0;
  const sinks: AuditPgSink[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
  });
  // A fresh table per test, so no test sees another's chain.
  beforeEach(() => {
    table = `audit_${++tables}`;
  });
  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.close();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function open(instance = 'r1', extra: { key?: AuditKey; maxBatch?: number; log?: AuditSinkLogger } = {}): Promise<AuditPgSink> {
    const sink = await AuditPgSink.open({ url: db.url, table, instance, ...extra });
    sinks.push(sink);
    return sink;
  }

  /** Writes `count` records through the real sink and closes it. */
  async function write(count: number, instance = 'r1', key?: AuditKey): Promise<void> {
    const sink = await AuditPgSink.open({ url: db.url, table, instance, key });
    await Promise.all(Array.from({ length: count }, (_, i) => sink.append(callEvent(i + 1))));
    await sink.close();
  }

  const verify = (instance = 'r1', key?: AuditKey) => verifyPgAuditLog({ url: db.url, table, instance, key });
  const rows = async (instance = 'r1') =>
    (await db.admin(`SELECT seq::int AS seq, line, hash, prev FROM ${table} WHERE instance = $1 ORDER BY seq`, [instance])).rows as {
      seq: number;
      line: string;
      hash: string;
      prev: string;
    }[];

  describe('writing', () => {
    it('records written through the sink verify, and each row holds the sealed canonical line', async () => {
      await write(N);
      expect(await verify()).toEqual({ ok: true, records: N, gaps: 0 });
      const stored = await rows();
      expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      for (const row of stored) {
        const record = JSON.parse(row.line) as Record<string, unknown>;
        expect(canonicalJson(record)).toBe(row.line);
        expect(recordHash(record)).toBe(row.hash);
        expect(record).toMatchObject({ seq: row.seq, prev: row.prev, instance: 'r1' });
      }
      const head = (await db.admin(`SELECT seq::int AS seq, hash FROM ${table}_head WHERE instance = 'r1'`)).rows;
      expect(head).toEqual([{ seq: N, hash: stored[N - 1]!.hash }]);
    });

    it('2,000 concurrent appends give exactly rows 1..2000 in far fewer transactions than records', async () => {
      const sink = await open();
      const records = await Promise.all(Array.from({ length: 2_000 }, (_, i) => sink.append(callEvent(i))));
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
      const stored = await rows();
      expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
      expect(new Set(stored.map((r) => (JSON.parse(r.line) as { correlation_id: string }).correlation_id)).size).toBe(2_000);
      expect(sink.stats.records).toBe(2_000);
      expect(sink.stats.transactions).toBeLessThan(2_000 / 100);
      expect(await verify()).toEqual({ ok: true, records: 2_000, gaps: 0 });
    });

    it('a record is committed by the time append resolves: another connection sees it', async () => {
      const sink = await open();
      const record = await sink.append(callEvent(1));
      const stored = await rows();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.hash).toBe(record.hash);
    });

    it('an event cannot set the chain fields', async () => {
      const sink = await open();
      const hostile = { ...callEvent(1), seq: 99, prev: 'f'.repeat(64), hash: 'e'.repeat(64), instance: 'other' };
      const record = await sink.append(hostile);
      expect(record).toMatchObject({ seq: 1, instance: 'r1', prev: '0'.repeat(64) });
      expect(await verify()).toMatchObject({ ok: true, records: 1 });
    });

    it('reopening continues the chain: seq and prev carry on, and the whole chain verifies', async () => {
      await write(5);
      await write(5);
      const stored = await rows();
      expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(stored[5]!.prev).toBe(stored[4]!.hash);
      expect(await verify()).toEqual({ ok: true, records: 10, gaps: 0 });
    });

    it('rejects appends after close', async () => {
      const sink = await AuditPgSink.open({ url: db.url, table, instance: 'r1' });
      await sink.close();
      await expect(sink.append(callEvent(1))).rejects.toMatchObject({ code: 'AUDIT_CLOSED' });
    });

    it('refuses a table name that is not a plain identifier, before touching the database', async () => {
      await expect(AuditPgSink.open({ url: db.url, table: 'audit; DROP TABLE x', instance: 'r1' })).rejects.toBeInstanceOf(TypeError);
      await expect(verifyPgAuditLog({ url: db.url, table: 'Audit', instance: 'r1' })).rejects.toBeInstanceOf(TypeError);
    });
  });

  describe('replicas', () => {
    it('two instances share the table with a chain each; both verify and both are listed', async () => {
      const [a, b] = await Promise.all([open('r1'), open('r2')]);
      await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).append(callEvent(i))));
      expect(await verify('r1')).toEqual({ ok: true, records: 100, gaps: 0 });
      expect(await verify('r2')).toEqual({ ok: true, records: 100, gaps: 0 });
      expect(await listPgAuditInstances(db.url, table)).toEqual(['r1', 'r2']);
      expect(await verify('r3')).toMatchObject({ ok: false, firstBad: { reason: 'LOG_MISSING' } });
    });

    it('a second sink for the same instance is refused while the first is open, and allowed after close', async () => {
      const first = await open('r1');
      const refused = await AuditPgSink.open({ url: db.url, table, instance: 'r1' }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AuditLogError);
      expect(refused).toMatchObject({ code: 'AUDIT_LOCKED', message: expect.stringContaining('audit.instance') });
      // The refused sink wrote nothing and did not disturb the writer.
      await first.append(callEvent(1));
      await first.close();
      const second = await open('r1');
      await second.append(callEvent(2));
      expect((await rows()).map((r) => r.seq)).toEqual([1, 2]);
      expect(await verify()).toMatchObject({ ok: true, records: 2 });
    });

    it('a missing table gives LOG_MISSING and no instances', async () => {
      expect(await verify()).toMatchObject({ ok: false, records: 0, firstBad: { line: 0, reason: 'LOG_MISSING' } });
      expect(await listPgAuditInstances(db.url, table)).toEqual([]);
    });
  });

  describe('verifyPgAuditLog names the first bad position after tampering', () => {
    beforeEach(async () => {
      await write(N);
      await write(N, 'r2'); // a neighbour chain, which none of this tampering touches
    });
    afterEach(async () => {
      expect(await verify('r2')).toMatchObject({ ok: true, records: N });
    });

    it('an edited line (rows) breaks that record’s hash', async () => {
      await db.admin(`UPDATE ${table} SET line = regexp_replace(line, '"rows":\\d+', '"rows":999999') WHERE instance = 'r1' AND seq = 20`);
      expect(await verify()).toMatchObject({ ok: false, records: 19, firstBad: { line: 20, seq: 20, reason: 'HASH_MISMATCH' } });
    });

    it('an edited hash column is caught even though the line is intact', async () => {
      await db.admin(`UPDATE ${table} SET hash = repeat('a', 64) WHERE instance = 'r1' AND seq = 7`);
      expect(await verify()).toMatchObject({ ok: false, records: 6, firstBad: { line: 7, seq: 7, reason: 'HASH_MISMATCH' } });
    });

    it('a deleted middle row breaks the link of the one after it', async () => {
      await db.admin(`DELETE FROM ${table} WHERE instance = 'r1' AND seq = 10`);
      expect(await verify()).toMatchObject({ ok: false, records: 9, firstBad: { line: 10, seq: 11, reason: 'PREV_MISMATCH' } });
    });

    it('two rows with swapped seq are caught at the first of them', async () => {
      await db.admin(`UPDATE ${table} SET seq = 1000 WHERE instance = 'r1' AND seq = 30`);
      await db.admin(`UPDATE ${table} SET seq = 30 WHERE instance = 'r1' AND seq = 31`);
      await db.admin(`UPDATE ${table} SET seq = 31 WHERE instance = 'r1' AND seq = 1000`);
      expect(await verify()).toMatchObject({ ok: false, records: 29, firstBad: { line: 30, seq: 31, reason: 'SEQ_MISMATCH' } });
    });

    it('a forged row appended with the right prev and hash lies past the signed head', async () => {
      const last = (await rows())[N - 1]!;
      const forged = forge({ ...(JSON.parse(last.line) as Record<string, unknown>), seq: N + 1, prev: last.hash, outcome: 'denied' });
      await insertRow('r1', N + 1, forged);
      expect(await verify()).toMatchObject({ ok: false, records: N, firstBad: { line: N + 1, seq: N + 1, reason: 'HEAD_MISMATCH' } });
      // And the sink will not build on it.
      await expect(AuditPgSink.open({ url: db.url, table, instance: 'r1' })).rejects.toMatchObject({ code: 'AUDIT_TAIL_CORRUPT' });
    });

    it('a forged row inserted mid-chain (later rows renumbered to make room) breaks the chain after it', async () => {
      const before = (await rows())[4]!;
      await db.admin(`UPDATE ${table} SET seq = seq + 1000 WHERE instance = 'r1' AND seq > 5`);
      await db.admin(`UPDATE ${table} SET seq = seq - 999 WHERE instance = 'r1' AND seq > 1000`);
      await insertRow('r1', 6, forge({ ...(JSON.parse(before.line) as Record<string, unknown>), seq: 6, prev: before.hash, correlation_id: 'forged' }));
      expect(await verify()).toMatchObject({ ok: false, records: 6, firstBad: { line: 7, seq: 6, reason: 'SEQ_MISMATCH' } });
    });

    it('another instance’s whole chain copied in (rows and head) is refused at position 1', async () => {
      await db.admin(`DELETE FROM ${table} WHERE instance = 'r1'`);
      await db.admin(`DELETE FROM ${table}_head WHERE instance = 'r1'`);
      await db.admin(`INSERT INTO ${table} SELECT 'r1', seq, time, line, hash, prev FROM ${table} WHERE instance = 'r2'`);
      await db.admin(`INSERT INTO ${table}_head SELECT 'r1', seq, hash, time, mac FROM ${table}_head WHERE instance = 'r2'`);
      expect(await verify()).toMatchObject({ ok: false, records: 0, firstBad: { line: 1, seq: 1, reason: 'PREV_MISMATCH', detail: expect.stringContaining('another instance') } });
    });

    it('deleting the last 3 rows is caught by the head row, and the sink refuses to continue', async () => {
      await db.admin(`DELETE FROM ${table} WHERE instance = 'r1' AND seq > $1`, [N - 3]);
      expect(await verify()).toMatchObject({ ok: false, records: N - 3, firstBad: { line: N - 2, seq: N - 2, reason: 'TRUNCATED' } });
      await expect(AuditPgSink.open({ url: db.url, table, instance: 'r1' })).rejects.toMatchObject({ code: 'AUDIT_TRUNCATED' });
      expect(await rows()).toHaveLength(N - 3);
    });

    it('deleting the tail and the head row together is still reported, and the sink refuses to continue', async () => {
      await db.admin(`DELETE FROM ${table} WHERE instance = 'r1' AND seq > $1`, [N - 3]);
      await db.admin(`DELETE FROM ${table}_head WHERE instance = 'r1'`);
      expect(await verify()).toMatchObject({ ok: false, firstBad: { line: 0, reason: 'HEAD_MISSING' } });
      await expect(AuditPgSink.open({ url: db.url, table, instance: 'r1' })).rejects.toMatchObject({ code: 'AUDIT_HEAD_INVALID' });
    });

    it('an edited last row stops the sink from continuing the chain', async () => {
      await db.admin(`UPDATE ${table} SET line = replace(line, '"outcome":"ok"', '"outcome":"error"') WHERE instance = 'r1' AND seq = $1`, [N]);
      await expect(AuditPgSink.open({ url: db.url, table, instance: 'r1' })).rejects.toMatchObject({ code: 'AUDIT_TAIL_CORRUPT' });
    });
  });

  describe('HMAC mode', () => {
    const key = 'k'.repeat(32);

    it('verifies with the key and not without it; a sink with another key refuses to continue', async () => {
      await write(N, 'r1', key);
      expect(await verify('r1', key)).toEqual({ ok: true, records: N, gaps: 0 });
      expect(await verify('r1')).toMatchObject({ ok: false, firstBad: { line: 1, reason: 'HASH_MISMATCH' } });
      await expect(AuditPgSink.open({ url: db.url, table, instance: 'r1', key: 'another key' })).rejects.toMatchObject({ code: 'AUDIT_TAIL_CORRUPT' });
    });

    it('a forger without the key who edits a record and recomputes the chain and head with SHA-256 is caught at position 1', async () => {
      await write(N, 'r1', key);
      let prev = '0'.repeat(64);
      for (const row of await rows()) {
        const record = JSON.parse(row.line) as Record<string, unknown>;
        if (row.seq === 11) record['outcome'] = 'denied';
        record['prev'] = prev;
        const line = forge(record);
        prev = (JSON.parse(line) as { hash: string }).hash;
        await db.admin(`UPDATE ${table} SET line = $1, hash = $2, prev = $3 WHERE instance = 'r1' AND seq = $4`, [line, prev, record['prev'], row.seq]);
      }
      const body = { seq: N, hash: prev, time: new Date().toISOString() };
      await db.admin(`UPDATE ${table}_head SET hash = $1, time = $2, mac = $3 WHERE instance = 'r1'`, [
        prev,
        body.time,
        digest(`bastion-audit-head\n${canonicalJson(body)}`),
      ]);
      // Without the key the forgery passes: that is what the key is for.
      expect(await verify('r1')).toMatchObject({ ok: true, records: N });
      expect(await verify('r1', key)).toMatchObject({ ok: false, records: 0, firstBad: { line: 1, seq: 1, reason: 'HASH_MISMATCH' } });
    });

    it('a head row forged without the key is rejected', async () => {
      await write(N, 'r1', key);
      const last = (await rows())[N - 4]!;
      await db.admin(`DELETE FROM ${table} WHERE instance = 'r1' AND seq > $1`, [N - 3]);
      const body = { seq: last.seq, hash: last.hash, time: new Date().toISOString() };
      await db.admin(`UPDATE ${table}_head SET seq = $1, hash = $2, time = $3, mac = $4 WHERE instance = 'r1'`, [
        body.seq,
        body.hash,
        body.time,
        digest(`bastion-audit-head\n${canonicalJson(body)}`),
      ]);
      expect(await verify('r1', key)).toMatchObject({ ok: false, firstBad: { line: 0, reason: 'HEAD_INVALID' } });
      await expect(AuditPgSink.open({ url: db.url, table, instance: 'r1', key })).rejects.toMatchObject({ code: 'AUDIT_HEAD_INVALID' });
    });
  });

  describe('fail closed', () => {
    const terminate = () =>
      // The timeout makes the call wait until the backend is gone (PostgreSQL 14+).
      db.admin(`SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'bastion-audit'`);

    it('a sink whose connection is terminated rejects the next append and every later one; the kept rows still verify', async () => {
      const log = { warn: vi.fn(), error: vi.fn() };
      const sink = await open('r1', { log });
      for (let i = 0; i < 3; i++) await sink.append(callEvent(i));
      await terminate();
      const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => sink.append(callEvent(i))));
      expect(settled.every((s) => s.status === 'rejected' && (s.reason as AuditLogError).code === 'AUDIT_WRITE_FAILED')).toBe(true);
      await expect(sink.append(callEvent(99))).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
      expect(log.error).toHaveBeenCalledTimes(1);
      expect(await rows()).toHaveLength(3);
      expect(await verify()).toEqual({ ok: true, records: 3, gaps: 0 });
      // The writer lock died with the session: a new sink takes over and continues the chain.
      const next = await open('r1');
      expect((await next.append(callEvent(4))).seq).toBe(4);
      expect(await verify()).toMatchObject({ ok: true, records: 4 });
    });

    it('a write error that leaves the connection alive still refuses every later append', async () => {
      const sink = await open('r1');
      await sink.append(callEvent(1));
      // A row planted at the sink's next seq makes its INSERT fail on the primary key.
      await db.admin(`INSERT INTO ${table} (instance, seq, time, line, hash, prev) VALUES ('r1', 2, now(), '{}', '', '')`);
      await expect(sink.append(callEvent(2))).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
      await db.admin(`DELETE FROM ${table} WHERE instance = 'r1' AND seq = 2`);
      // The write would succeed now; the sink still refuses until it is reopened.
      await expect(sink.append(callEvent(3))).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
      expect(await rows()).toHaveLength(1);
    });

    it('terminated while a batch is in flight: that batch, everything queued behind it and every later append reject', async () => {
      const sink = await open('r1', { maxBatch: 10 });
      await sink.append(callEvent(0));
      // Another session locks the table, so the sink's next INSERT waits in the server: in flight.
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
        const appends = Promise.allSettled(Array.from({ length: 100 }, (_, i) => sink.append(callEvent(i + 1))));
        const waiting = async () =>
          (await db.admin(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'bastion-audit' AND wait_event_type = 'Lock'`)).rows[0].n as number;
        await expect.poll(waiting, { timeout: 15_000, interval: 20 }).toBe(1);
        await terminate();
        const settled = await appends;
        expect(settled).toHaveLength(100);
        expect(settled.every((s) => s.status === 'rejected' && (s.reason as AuditLogError).code === 'AUDIT_WRITE_FAILED')).toBe(true);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      await expect(sink.append(callEvent(99))).rejects.toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
      expect(await rows()).toHaveLength(1);
      expect(await verify()).toEqual({ ok: true, records: 1, gaps: 0 });
    });
  });

  /** A record sealed with plain SHA-256, as a forger without the key would. */
  function forge(record: Record<string, unknown>): string {
    const body = { ...record };
    body['hash'] = recordHash(body);
    return canonicalJson(body);
  }

  async function insertRow(instance: string, seq: number, line: string): Promise<void> {
    const record = JSON.parse(line) as { hash: string; prev: string; time: string };
    await db.admin(`INSERT INTO ${table} (instance, seq, time, line, hash, prev) VALUES ($1, $2, $3, $4, $5, $6)`, [instance, seq, record.time, line, record.hash, record.prev]);
  }
});
