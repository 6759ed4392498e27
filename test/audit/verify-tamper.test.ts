import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digest } from '../../src/audit/chain.js';
import { canonicalJson, recordHash, verifyAuditLog } from '../../src/audit/index.js';
import { removeDir, readLines, tempDir, writeLines, writeLog } from './helpers.js';

const N = 50;
let dir: string;

beforeEach(async () => {
  dir = await tempDir();
  await writeLog(dir, N);
});
afterEach(async () => removeDir(dir));

describe('verifyAuditLog on an untouched log', () => {
  it('verifies every record of a correct log', async () => {
    expect(await verifyAuditLog({ dir })).toEqual({ ok: true, records: N, gaps: 0 });
  });

  it('keeps the chain across reopen: seq and prev continue', async () => {
    await writeLog(dir, 5);
    const lines = await readLines(dir);
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: N + 5 }, (_, i) => i + 1));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: N + 5 });
  });
});

describe('chain', () => {
  it('a stored line is the canonical JSON of its record, and its hash is the record hash', async () => {
    for (const line of await readLines(dir)) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(canonicalJson(record)).toBe(line);
      expect(recordHash(record)).toBe(record['hash']);
    }
  });
});

describe('verifyAuditLog names the first bad record after tampering', () => {
  it('an edited field (rows) breaks that record’s hash', async () => {
    const lines = await readLines(dir);
    lines[19] = lines[19]!.replace(/"rows":\d+/, '"rows":999999');
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 19, firstBad: { line: 20, seq: 20, reason: 'HASH_MISMATCH' } });
  });

  it('a deleted record breaks the link of the one after it', async () => {
    const lines = await readLines(dir);
    lines.splice(9, 1);
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 9, firstBad: { line: 10, seq: 11, reason: 'PREV_MISMATCH' } });
  });

  it('two swapped records break the chain at the first of them', async () => {
    const lines = await readLines(dir);
    [lines[29], lines[30]] = [lines[30]!, lines[29]!];
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 29, firstBad: { line: 30, seq: 31, reason: 'PREV_MISMATCH' } });
  });

  it('an inserted record with a self-consistent hash still breaks the chain', async () => {
    const lines = await readLines(dir);
    const forged: Record<string, unknown> = { ...(JSON.parse(lines[4]!) as Record<string, unknown>), correlation_id: 'forged', prev: 'ab'.repeat(32) };
    forged['hash'] = recordHash(forged);
    lines.splice(5, 0, canonicalJson(forged));
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 5, firstBad: { line: 6, reason: 'PREV_MISMATCH' } });
  });

  it('a record inserted with the right prev still fails: the next record no longer links', async () => {
    const lines = await readLines(dir);
    const before = JSON.parse(lines[4]!) as Record<string, unknown>;
    const forged: Record<string, unknown> = { ...before, seq: 6, correlation_id: 'forged', prev: before['hash'] };
    forged['hash'] = recordHash(forged);
    lines.splice(5, 0, canonicalJson(forged));
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: 6, firstBad: { line: 7, seq: 6, reason: 'PREV_MISMATCH' } });
  });

  it('removing the last 3 lines is caught by the head checkpoint', async () => {
    const lines = await readLines(dir);
    await writeLines(dir, lines.slice(0, -3));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: N - 3, firstBad: { line: N - 2, seq: N - 2, reason: 'TRUNCATED' } });
  });

  it('removing the tail and the head checkpoint together is still reported', async () => {
    await writeLines(dir, (await readLines(dir)).slice(0, -3));
    await rm(join(dir, 'audit.head'));
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, firstBad: { line: 0, reason: 'HEAD_MISSING' } });
  });

  it('a torn last line is reported as such, and only as such', async () => {
    await appendFile(join(dir, 'audit.jsonl'), '{"seq":51,"time":"20');
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, records: N, firstBad: { line: N + 1, reason: 'TORN_LAST_LINE' } });
  });

  it('a record reformatted without changing its content (spacing) is caught: lines are checked byte for byte', async () => {
    const lines = await readLines(dir);
    lines[7] = lines[7]!.replace('"decision":"allow"', '"decision": "allow"');
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, firstBad: { line: 8, reason: 'HASH_MISMATCH' } });
  });

  it('a raw line break smuggled into a record is caught', async () => {
    const lines = await readLines(dir);
    lines[2] = lines[2]!.replace('"decision":"allow"', '"decision":"allow"}\n{"decision":"allow"');
    await writeLines(dir, lines);
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, firstBad: { line: 3, reason: 'UNPARSABLE' } });
  });
});

describe('HMAC mode', () => {
  const key = 'k'.repeat(32);

  beforeEach(async () => {
    await removeDir(dir);
    dir = await tempDir();
    await writeLog(dir, N, key);
  });

  it('verifies with the key and not without it', async () => {
    expect(await verifyAuditLog({ dir, key })).toEqual({ ok: true, records: N, gaps: 0 });
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: false, firstBad: { line: 1, reason: 'HASH_MISMATCH' } });
  });

  it('a forger without the key who edits a record and recomputes the whole chain with SHA-256 is caught at line 1', async () => {
    const lines = await readLines(dir);
    let prev = '0'.repeat(64);
    const rewritten = lines.map((line, i) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (i === 10) record['outcome'] = 'denied';
      record['prev'] = prev;
      record['hash'] = recordHash(record);
      prev = record['hash'] as string;
      return canonicalJson(record);
    });
    await writeLines(dir, rewritten);
    // Without the key the forgery would pass the chain check; with it, it fails at once.
    const withoutKey = await verifyAuditLog({ dir });
    expect(withoutKey).toMatchObject({ ok: false, firstBad: { reason: 'HEAD_INVALID' } });
    expect(await verifyAuditLog({ dir, key })).toMatchObject({ ok: false, records: 0, firstBad: { line: 1, seq: 1, reason: 'HASH_MISMATCH' } });
  });

  it('a forged head checkpoint without the key is rejected', async () => {
    const lines = await readLines(dir);
    await writeLines(dir, lines.slice(0, -3));
    const last = JSON.parse(lines[N - 4]!) as { seq: number; hash: string };
    const body = { seq: last.seq, hash: last.hash, time: new Date().toISOString() };
    const forgedHead = { ...body, mac: digest(`bastion-audit-head\n${canonicalJson(body)}`) };
    await writeFile(join(dir, 'audit.head'), canonicalJson(forgedHead));
    expect(await verifyAuditLog({ dir, key })).toMatchObject({ ok: false, firstBad: { line: 0, reason: 'HEAD_INVALID' } });
    expect(await readFile(join(dir, 'audit.head'), 'utf8')).toContain(last.hash);
  });
});
