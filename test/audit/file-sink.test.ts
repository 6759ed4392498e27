import { appendFile, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditFileSink, AuditLogError, argsShape, verifyAuditLog } from '../../src/audit/index.js';
import { callEvent, hasUnsafeCharacter, readLines, removeDir, tempDir, writeLines, writeLog } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => removeDir(dir));

describe('AuditFileSink group commit', () => {
  it('10,000 concurrent appends give exactly seq 1..10000 with far fewer fsyncs than records', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    const records = await Promise.all(Array.from({ length: 10_000 }, (_, i) => sink.append(callEvent(i))));
    const stats = sink.stats;
    await sink.close();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    const lines = await readLines(dir);
    expect(lines).toHaveLength(10_000);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { correlation_id: string }).correlation_id)).size).toBe(10_000);
    expect(stats.records).toBe(10_000);
    // One sync can cover several batches written while the one before was syncing.
    expect(stats.logSyncs).toBeGreaterThan(0);
    expect(stats.logSyncs).toBeLessThanOrEqual(stats.batches);
    expect(stats.logSyncs).toBeLessThan(10_000 / 100);
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 10_000, gaps: 0 });
  });

  it('a record is on disk by the time append resolves', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    const record = await sink.append(callEvent(1, { correlation_id: 'durable-1' }));
    const lines = await readLines(dir);
    expect(JSON.parse(lines.at(-1)!)).toEqual(record);
    await sink.close();
  });

  it('by default append resolves only after the fdatasync that covers the record', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    await sink.append(callEvent(1));
    expect(sink.stats.logSyncs).toBeGreaterThanOrEqual(1);
    await sink.close();
  });

  it('with waitForSync: false append resolves once written; the sync and the head follow by themselves', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1', waitForSync: false });
    const records = await Promise.all([1, 2, 3].map((i) => sink.append(callEvent(i))));
    // Written: another reader of the file (or a restart after kill -9) sees it now.
    expect((await readLines(dir)).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3]);
    await sink.close();
    expect(sink.stats.logSyncs).toBeGreaterThanOrEqual(1);
    const head = JSON.parse(await readFile(join(dir, 'audit.head'), 'utf8')) as { seq: number; hash: string };
    expect(head).toMatchObject({ seq: 3, hash: records[2]?.hash });
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 3 });
  });

  it('with a long sync interval, close still syncs and moves the head to the last record', async () => {
    // The interval bounds how often the loop syncs; a close must not leave the head behind it.
    const sink = await AuditFileSink.open({ dir, instance: 'i-1', waitForSync: false, syncIntervalMs: 60_000 });
    const records = await Promise.all([1, 2].map((i) => sink.append(callEvent(i))));
    await sink.close();
    expect(sink.stats.logSyncs).toBe(1);
    const head = JSON.parse(await readFile(join(dir, 'audit.head'), 'utf8')) as { seq: number; hash: string };
    expect(head).toMatchObject({ seq: 2, hash: records[1]?.hash });
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 2 });
  });

  it('creates the folder 0700 and the log and head 0600', async () => {
    const nested = join(dir, 'state');
    const sink = await AuditFileSink.open({ dir: nested, instance: 'i-1' });
    await sink.append(callEvent(1));
    await sink.close();
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    expect((await stat(join(nested, 'audit.jsonl'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(nested, 'audit.head'))).mode & 0o777).toBe(0o600);
  });

  it('an event cannot set the chain fields', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    const sneaky = { ...callEvent(1), seq: 99, prev: 'x', hash: 'y', instance: 'other' } as ReturnType<typeof callEvent>;
    const record = await sink.append(sneaky);
    await sink.close();
    expect(record).toMatchObject({ seq: 1, instance: 'i-1', prev: '0'.repeat(64) });
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true });
  });
});

describe('one record per line, whatever the arguments say', () => {
  it('CR, LF, ANSI escapes, NEL, U+2028/2029 and lone surrogates in fields stay inside one line', async () => {
    const hostile = 'x\r\n{"seq":2}\u001b[31mred\u0085\u2028\u2029\ud800\u007f\u202e\u200b';
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    await sink.append(
      callEvent(1, { tool: hostile, principal: { id: hostile, kind: 'api_key', role: 'reader' }, args_shape: argsShape({ [hostile]: hostile }) }),
    );
    await sink.append(callEvent(2));
    await sink.close();
    const text = await readFile(join(dir, 'audit.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    // Nothing outside printable ASCII that any reader could take for a line end or a terminal control.
    expect(hasUnsafeCharacter(text)).toBe(false);
    expect((JSON.parse(text.split('\n')[0]!) as { tool: string }).tool).toBe(hostile);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 2 });
  });
});

describe('argsShape', () => {
  it('keeps types and lengths, never values', () => {
    const shape = argsShape({ sql: 'select secret', params: [1, 'pw', null, true, { a: 2n }], max_rows: 5 });
    expect(shape).toEqual({ sql: 'string(13)', params: { array: 5, items: ['number', 'string(2)', 'null', 'boolean', { a: 'bigint' }] }, max_rows: 'number' });
    expect(JSON.stringify(shape)).not.toMatch(/secret|pw|"5"|select/);
  });

  it('is depth- and width-limited, and an argument named __proto__ is just a key', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(JSON.stringify(argsShape(deep)).length).toBeLessThan(200);
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(argsShape(wide) as object)).toHaveLength(65);
    const proto = argsShape(JSON.parse('{"__proto__":{"polluted":"yes"}}')) as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('reopening after a crash', () => {
  it('a torn last line is cut and replaced by a marked gap record; the whole log then verifies', async () => {
    await writeLog(dir, 20);
    const torn = '{"args_shape":{"sql":"string(8)"},"bytes":12,"corr';
    await appendFile(join(dir, 'audit.jsonl'), torn);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 20, firstBad: { line: 21, reason: 'TORN_LAST_LINE' } });

    const sink = await AuditFileSink.open({ dir, instance: 'i-2' });
    await sink.append(callEvent(100));
    await sink.close();

    const lines = (await readLines(dir)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(22);
    expect(lines[20]).toMatchObject({ seq: 21, outcome: 'gap', reason: 'TORN_TAIL_REPAIRED', bytes: torn.length, decision: 'none', prev: lines[19]!['hash'] });
    expect(lines[21]).toMatchObject({ seq: 22, correlation_id: 'c-100', instance: 'i-2' });
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 22, gaps: 1 });
  });

  it('a torn first line (nothing complete yet) becomes a gap that starts the chain', async () => {
    await writeFile(join(dir, 'audit.jsonl'), '{"seq":1,"ti');
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    await sink.close();
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 1, gaps: 1 });
  });

  it('refuses to continue a log whose tail was cut (head checkpoint ahead), instead of hiding it', async () => {
    await writeLog(dir, 10);
    await writeLines(dir, (await readLines(dir)).slice(0, -2));
    await expect(AuditFileSink.open({ dir, instance: 'i-1' })).rejects.toMatchObject({ code: 'AUDIT_TRUNCATED' });
    expect(await readLines(dir)).toHaveLength(8);
  });

  it('refuses to continue a log whose last complete record was edited, or with another key', async () => {
    await writeLog(dir, 3, 'key-one');
    await expect(AuditFileSink.open({ dir, instance: 'i-1', key: 'key-two' })).rejects.toBeInstanceOf(AuditLogError);
    const lines = await readLines(dir);
    lines[2] = lines[2]!.replace('"outcome":"ok"', '"outcome":"error"');
    await writeLines(dir, lines);
    await expect(AuditFileSink.open({ dir, instance: 'i-1', key: 'key-one' })).rejects.toMatchObject({ code: 'AUDIT_TAIL_CORRUPT' });
  });

  it('rejects appends after close', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    await sink.close();
    await expect(sink.append(callEvent(1))).rejects.toMatchObject({ code: 'AUDIT_CLOSED' });
  });
});

describe('one writer per folder', () => {
  it('a second sink on the same folder is refused while the first is open, and allowed after close', async () => {
    const first = await AuditFileSink.open({ dir, instance: 'i-1' });
    await expect(AuditFileSink.open({ dir, instance: 'i-2' })).rejects.toMatchObject({ code: 'AUDIT_LOCKED' });
    await first.append(callEvent(1));
    await first.close();
    const second = await AuditFileSink.open({ dir, instance: 'i-2' });
    await second.append(callEvent(2));
    await second.close();
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 2 });
  });

  it('a lock left by a live other process is respected; one left by a dead process is taken over', async () => {
    await writeFile(join(dir, 'audit.lock'), `${process.ppid}\n`);
    await expect(AuditFileSink.open({ dir, instance: 'i-1' })).rejects.toMatchObject({ code: 'AUDIT_LOCKED' });
    await writeFile(join(dir, 'audit.lock'), '2147483646\n');
    // Its heartbeat stopped when it died, longer ago than the short bound.
    const then = new Date(Date.now() - 20_000);
    await utimes(join(dir, 'audit.lock'), then, then);
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    await sink.close();
  });
});
