/**
 * Rotation of the file audit log: full files are renamed to audit-<first seq>.jsonl and
 * the one hash chain runs on through a new audit.jsonl. Proves the chain, the crash
 * states of a rotation, tamper detection across files, and `audit tail` across files.
 */
import { appendFile, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditFileSink, rotatedFileName, verifyAuditLog, type AuditSinkOptions } from '../../src/audit/index.js';
import { registerAuditCommand } from '../../src/cli/audit.js';
import { captureOutput, appendThenKill, callEvent, compileAuditModule, CRASH_LOCK, removeDir, tempDir } from './helpers.js';

interface Line {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly time: string;
  readonly outcome: string;
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => removeDir(dir));

function openSink(options: Partial<AuditSinkOptions> = {}): Promise<AuditFileSink> {
  return AuditFileSink.open({ dir, instance: 'i-1', rotate: { maxBytes: 4096 }, ...options });
}

/** Appends records `from`…`to` in batches of `batch` (each batch one group commit). */
async function appendRange(sink: AuditFileSink, from: number, to: number, batch = 3): Promise<void> {
  for (let i = from; i <= to; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, to - i + 1) }, (_, j) => sink.append(callEvent(i + j))));
  }
}

/** The log files oldest first: rotated files by name, then audit.jsonl if present. */
async function logFiles(): Promise<string[]> {
  const names = await readdir(dir);
  return [...names.filter((n) => /^audit-\d{12}\.jsonl$/.test(n)).sort(), ...names.filter((n) => n === 'audit.jsonl')];
}

async function linesOf(name: string): Promise<Line[]> {
  const text = await readFile(join(dir, name), 'utf8');
  return text
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as Line);
}

async function allRecords(): Promise<Line[]> {
  const out: Line[] = [];
  for (const name of await logFiles()) out.push(...(await linesOf(name)));
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('rotation by size', () => {
  it('spreads 200 records over several files named by their first seq, as one chain that verifies', async () => {
    const sink = await openSink();
    await appendRange(sink, 1, 200);
    const { rotations } = sink.stats;
    await sink.close();

    const files = await logFiles();
    expect(files.length).toBeGreaterThan(5);
    expect(files.at(-1)).toBe('audit.jsonl');
    expect(rotations).toBe(files.length - 1);
    let last: Line | undefined;
    for (const name of files) {
      const lines = await linesOf(name);
      if (name !== 'audit.jsonl') expect(name).toBe(rotatedFileName(lines[0]!.seq));
      // Every batch fits under maxBytes, so no file passes it.
      expect((await readFile(join(dir, name))).length).toBeLessThanOrEqual(4096);
      // The first record of each file links to the last record of the file before.
      if (last) expect(lines[0]).toMatchObject({ seq: last.seq + 1, prev: last.hash });
      last = lines.at(-1);
    }
    expect((await allRecords()).map((r) => r.seq)).toEqual(range(1, 200));
    expect((await readdir(dir)).filter((n) => n.includes('head'))).toEqual(['audit.head']);
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 200, gaps: 0 });
  });

  it('a batch larger than maxBytes goes whole into a fresh file: an empty file is never rotated', async () => {
    const sink = await openSink({ rotate: { maxBytes: 100 } });
    await appendRange(sink, 1, 12, 4);
    await sink.close();
    expect(await logFiles()).toEqual([rotatedFileName(1), rotatedFileName(5), 'audit.jsonl']);
    expect((await linesOf('audit.jsonl')).map((r) => r.seq)).toEqual([9, 10, 11, 12]);
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 12, gaps: 0 });
  });

  it('reopening continues the chain in the files already there, with or without rotation configured', async () => {
    const first = await openSink();
    await appendRange(first, 1, 40);
    await first.close();
    const lastBefore = (await allRecords()).at(-1)!;

    const second = await openSink({ instance: 'i-2' });
    const record = await second.append(callEvent(41));
    await appendRange(second, 42, 80);
    await second.close();
    expect(record).toMatchObject({ seq: 41, prev: lastBefore.hash });

    const third = await AuditFileSink.open({ dir, instance: 'i-3' });
    await appendRange(third, 81, 90);
    await third.close();
    expect((await allRecords()).map((r) => r.seq)).toEqual(range(1, 90));
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 90, gaps: 0 });
  });

  it('rejects a maxBytes that is not a positive whole number as a caller mistake', async () => {
    await expect(openSink({ rotate: { maxBytes: 0 } })).rejects.toBeInstanceOf(TypeError);
    await expect(openSink({ rotate: { maxBytes: 1.5 } })).rejects.toBeInstanceOf(TypeError);
  });
});

describe('daily rotation', () => {
  it('starts a new file at the first batch of a new UTC day, also after a reopen', async () => {
    let now = new Date('2026-03-01T23:59:58.000Z');
    const clock = (): Date => now;
    const sink = await openSink({ rotate: { daily: true }, now: clock });
    await appendRange(sink, 1, 3, 1);
    now = new Date('2026-03-02T00:00:01.000Z');
    await appendRange(sink, 4, 6, 1);
    await sink.close();
    expect(await logFiles()).toEqual([rotatedFileName(1), 'audit.jsonl']);
    expect((await linesOf(rotatedFileName(1))).map((r) => r.time.slice(0, 10))).toEqual(['2026-03-01', '2026-03-01', '2026-03-01']);
    expect((await linesOf('audit.jsonl')).map((r) => r.seq)).toEqual([4, 5, 6]);

    // Same day after a reopen: no rotation. The next day: the day of the file's first record has passed.
    const sameDay = await openSink({ rotate: { daily: true }, now: clock });
    await sameDay.append(callEvent(7));
    await sameDay.close();
    expect(await logFiles()).toEqual([rotatedFileName(1), 'audit.jsonl']);
    now = new Date('2026-03-03T08:00:00.000Z');
    const nextDay = await openSink({ rotate: { daily: true }, now: clock });
    await nextDay.append(callEvent(8));
    await nextDay.close();
    expect(await logFiles()).toEqual([rotatedFileName(1), rotatedFileName(4), 'audit.jsonl']);
    expect(await linesOf('audit.jsonl')).toEqual([expect.objectContaining({ seq: 8, time: '2026-03-03T08:00:00.000Z' })]);
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 8, gaps: 0 });
  });
});

describe('a crash during rotation', () => {
  /** Leaves rotated files and an audit.jsonl holding seq 16…; returns the last record. */
  async function rotatedLog(): Promise<Line> {
    const sink = await openSink({ rotate: { maxBytes: 100 } });
    await appendRange(sink, 1, 20, 5);
    await sink.close();
    return (await allRecords()).at(-1)!;
  }

  it.each([
    ['killed right after the rename (no audit.jsonl)', async () => undefined],
    ['killed after creating the new file (empty audit.jsonl)', async () => writeFile(join(dir, 'audit.jsonl'), '')],
  ])('%s: verify accepts it and open continues the chain from the newest rotated file', async (_name, after) => {
    const last = await rotatedLog();
    await rename(join(dir, 'audit.jsonl'), join(dir, rotatedFileName(16)));
    await after();
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 20, gaps: 0 });

    const sink = await openSink();
    const record = await sink.append(callEvent(21));
    await sink.close();
    expect(record).toMatchObject({ seq: 21, prev: last.hash });
    expect(await linesOf('audit.jsonl')).toEqual([expect.objectContaining({ seq: 21 })]);
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 21, gaps: 0 });
  });

  it('a torn first line in the new file: verify reports only that, open repairs it into a gap linked to the rotated file', async () => {
    const last = await rotatedLog();
    await rename(join(dir, 'audit.jsonl'), join(dir, rotatedFileName(16)));
    await writeFile(join(dir, 'audit.jsonl'), '{"args_shape":{"sql":"string(8)"},"by');
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 20, firstBad: { file: 'audit.jsonl', line: 1, reason: 'TORN_LAST_LINE' } });

    const sink = await openSink();
    await sink.append(callEvent(22));
    await sink.close();
    expect(await linesOf('audit.jsonl')).toEqual([
      expect.objectContaining({ seq: 21, prev: last.hash, outcome: 'gap' }),
      expect.objectContaining({ seq: 22 }),
    ]);
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 22, gaps: 1 });
  });

  it('a torn last line in a rotated file is damage, not a crash: verify names it and open refuses to continue from it', async () => {
    await rotatedLog();
    await rename(join(dir, 'audit.jsonl'), join(dir, rotatedFileName(16)));
    await appendFile(join(dir, rotatedFileName(16)), '{"seq":21,"ti');
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 20, firstBad: { file: rotatedFileName(16), line: 6, reason: 'UNPARSABLE' } });
    await expect(openSink()).rejects.toMatchObject({ code: 'AUDIT_TAIL_CORRUPT' });
  });
});

describe('verifyAuditLog across rotated files names the file and line of the first bad record', () => {
  let files: string[];
  beforeEach(async () => {
    const sink = await openSink({ rotate: { maxBytes: 100 } });
    await appendRange(sink, 1, 25, 5);
    await sink.close();
    files = await logFiles();
    expect(files).toEqual([...[1, 6, 11, 16].map((seq) => rotatedFileName(seq)), 'audit.jsonl']);
  });

  async function rewrite(name: string, edit: (lines: string[]) => string[]): Promise<void> {
    const lines = (await readFile(join(dir, name), 'utf8')).split('\n').slice(0, -1);
    await writeFile(join(dir, name), edit(lines).map((l) => `${l}\n`).join(''));
  }

  it('an edited record in a rotated file', async () => {
    await rewrite(files[1]!, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"decision":"allow"', '"decision":"deny"') : l)));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 7, firstBad: { file: rotatedFileName(6), line: 3, seq: 8, reason: 'HASH_MISMATCH' } });
  });

  it('a whole rotated file deleted (the oldest but one)', async () => {
    await rm(join(dir, files[1]!));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 5, firstBad: { file: rotatedFileName(11), line: 1, seq: 11, reason: 'PREV_MISMATCH' } });
  });

  it('the oldest rotated file deleted: nothing may be pruned silently either', async () => {
    await rm(join(dir, files[0]!));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 0, firstBad: { file: rotatedFileName(6), line: 1, seq: 6, reason: 'PREV_MISMATCH' } });
  });

  it('two rotated files that swapped names', async () => {
    await rename(join(dir, files[1]!), join(dir, 'swap'));
    await rename(join(dir, files[2]!), join(dir, files[1]!));
    await rename(join(dir, 'swap'), join(dir, files[2]!));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 5, firstBad: { file: rotatedFileName(6), line: 1, seq: 11, reason: 'PREV_MISMATCH' } });
  });

  it('a rotated file renamed to another seq, even one that keeps the order', async () => {
    await rename(join(dir, files[2]!), join(dir, rotatedFileName(12)));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 10, firstBad: { file: rotatedFileName(12), line: 1, seq: 11, reason: 'SEQ_MISMATCH' } });
  });

  it('a file named like a rotated one but not as the sink names it is not part of the log', async () => {
    await writeFile(join(dir, 'audit-1.jsonl'), 'not a record\n');
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: 25, gaps: 0 });
  });

  it('records cut from the end of the newest file are still caught by the head checkpoint', async () => {
    await rewrite('audit.jsonl', (lines) => lines.slice(0, 2));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 22, firstBad: { file: 'audit.jsonl', line: 3, seq: 23, reason: 'TRUNCATED' } });
  });
});

describe('bastion audit across rotated files', () => {
  const output = captureOutput();

  async function run(signal: AbortSignal | undefined, ...args: string[]): Promise<void> {
    const program = new Command().exitOverride();
    registerAuditCommand(program, { signal });
    await program.parseAsync(['node', 'bastion', 'audit', '--dir', dir, ...args]);
  }

  const printedSeqs = (): number[] => [...output.out.matchAll(/ #(\d+) /g)].map((m) => Number(m[1]));

  it('verify counts every file and names the file of the first bad record', async () => {
    const sink = await openSink({ rotate: { maxBytes: 100 } });
    await appendRange(sink, 1, 10, 5);
    await sink.close();
    await run(undefined, 'verify');
    expect(output.out).toMatch(/^OK: 10 record\(s\) verified in .*audit\.jsonl and 1 rotated file\(s\)\./);

    output.clear();
    const name = rotatedFileName(1);
    await writeFile(join(dir, name), (await readFile(join(dir, name), 'utf8')).replace('"rows":2', '"rows":3'));
    await run(undefined, 'verify');
    expect(output.out).toContain(`FAILED at ${name} line 2, seq 2: HASH_MISMATCH`);
    expect(process.exitCode).toBe(1);
  });

  it('tail -n reads back across the rotation boundary, and works while audit.jsonl is missing', async () => {
    const sink = await openSink({ rotate: { maxBytes: 100 } });
    await appendRange(sink, 1, 12, 4);
    await sink.close();
    await run(undefined, 'tail', '-n', '7');
    expect(printedSeqs()).toEqual(range(6, 12));
    expect(output.out.trimEnd().split('\n')).toHaveLength(7);

    output.clear();
    await rename(join(dir, 'audit.jsonl'), join(dir, rotatedFileName(9)));
    await run(undefined, 'tail', '-n', '100');
    expect(printedSeqs()).toEqual(range(1, 12));
  });

  it('tail -f keeps printing every record, once and in order, across several rotations', async () => {
    const sink = await openSink({ rotate: { maxBytes: 1200 } });
    await appendRange(sink, 1, 6, 1);
    const stop = new AbortController();
    const following = run(stop.signal, 'tail', '-n', '2', '-f');
    try {
      await expect.poll(printedSeqs).toEqual([5, 6]);
      // One record per batch: a rotation every two or three records, often several between two polls.
      await appendRange(sink, 7, 60, 1);
      await expect.poll(printedSeqs, { timeout: 20_000, interval: 50 }).toEqual(range(5, 60));
      expect(sink.stats.rotations).toBeGreaterThan(10);
      expect(output.err).toContain('audit.jsonl was rotated');
    } finally {
      stop.abort();
      await following;
      await sink.close();
    }
  });
});

describe('kill -9 while appending with rotation', () => {
  let build: string;

  beforeAll(async () => {
    build = await compileAuditModule();
  });
  afterAll(async () => removeDir(build));

  it('leaves at most a torn last line in audit.jsonl, loses no acknowledged record, and the next start continues one chain', async () => {
    let floor = 0;
    for (let round = 0; round < 4; round++) {
      const acknowledged = await appendThenKill(build, dir, { atLeast: floor + 500, batch: 8, sink: { rotate: { maxBytes: 6000 } } });
      const result = await verifyAuditLog({ dir });
      if (!result.ok) expect(result.firstBad).toMatchObject({ file: 'audit.jsonl', reason: 'TORN_LAST_LINE' });
      expect(result.records).toBeGreaterThanOrEqual(acknowledged);
      floor = result.records;
    }
    const sink = await openSink(CRASH_LOCK);
    const record = await sink.append(callEvent(1));
    await sink.close();
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: record.seq });
    expect((await allRecords()).map((r) => r.seq)).toEqual(range(1, record.seq));
    expect((await logFiles()).length).toBeGreaterThan(10);
  });
});
