import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditFileSink, verifyAuditLog } from '../../src/audit/index.js';
import { appendThenKill, callEvent, compileAuditModule, CRASH_LOCK, readLines, removeDir, tempDir } from './helpers.js';

let build: string;
let dir: string;

beforeAll(async () => {
  build = await compileAuditModule();
  dir = await tempDir();
});
afterAll(async () => {
  await removeDir(build);
  await removeDir(dir);
});

describe('kill -9 while appending', () => {
  it('leaves at most a torn last line, loses no acknowledged record, and the next start repairs it', async () => {
    let floor = 0;
    for (let round = 0; round < 3; round++) {
      const acknowledged = await appendThenKill(build, dir, { atLeast: floor + 2000, batch: 64 });
      const result = await verifyAuditLog({ dir });
      if (!result.ok) {
        // The only damage a crash may leave is the last line.
        expect(result.firstBad.reason).toBe('TORN_LAST_LINE');
        expect(result.firstBad.line).toBe(result.records + 1);
      }
      // Every record whose append resolved before the kill is on disk and verified.
      expect(result.records).toBeGreaterThanOrEqual(acknowledged);
      floor = result.records;
    }
    const sink = await AuditFileSink.open({ dir, instance: 'after-crash', ...CRASH_LOCK });
    const record = await sink.append(callEvent(1));
    await sink.close();
    const final = await verifyAuditLog({ dir });
    expect(final).toMatchObject({ ok: true, records: record.seq });
    const seqs = (await readLines(dir)).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });
});
