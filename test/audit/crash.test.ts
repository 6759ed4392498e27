import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditFileSink, verifyAuditLog } from '../../src/audit/index.js';
import { callEvent, readLines, removeDir, tempDir } from './helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let build: string;
let dir: string;

// The child runs the compiled sink, built here from src/audit alone, so the test does
// not depend on the rest of the tree building.
beforeAll(async () => {
  build = await tempDir();
  dir = await tempDir();
  execFileSync(
    process.execPath,
    [
      join(repo, 'node_modules/typescript/bin/tsc'),
      ...['--outDir', build, '--rootDir', join(repo, 'src'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext'],
      ...['--target', 'ES2022', '--types', 'node', '--skipLibCheck', '--strict', join(repo, 'src/audit/index.ts')],
    ],
    { cwd: repo, stdio: 'pipe' },
  );
  await writeFile(join(build, 'package.json'), '{"type":"module"}');
});
afterAll(async () => {
  await removeDir(build);
  await removeDir(dir);
});

const CHILD = `
const { AuditFileSink } = await import(process.argv[1]);
const sink = await AuditFileSink.open({ dir: process.argv[2], instance: 'child-' + process.pid });
let n = 0;
for (;;) {
  const batch = [];
  for (let i = 0; i < 64; i++) {
    batch.push(sink.append({ principal: { id: 'key:k', kind: 'api_key', role: 'reader' }, correlation_id: 'c' + n++,
      tool: 'query', args_shape: { sql: 'string(' + n + ')' }, decision: 'allow', outcome: 'ok', rows: n }));
  }
  const records = await Promise.all(batch);
  process.stdout.write(records.at(-1).seq + '\\n');
}`;

/** Runs an appending child until it has acknowledged at least `atLeast` records, then SIGKILLs it; returns the last acknowledged seq. */
function appendThenKill(atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(join(build, 'audit/index.js')).href, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acknowledged = 0;
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const seqs = chunk.toString().trim().split('\n').map(Number);
      acknowledged = Math.max(acknowledged, ...seqs);
      if (acknowledged >= atLeast) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(acknowledged) : reject(new Error(`child exited without SIGKILL: ${errors}`))));
  });
}

describe('kill -9 while appending', () => {
  it('leaves at most a torn last line, loses no acknowledged record, and the next start repairs it', async () => {
    let floor = 0;
    for (let round = 0; round < 3; round++) {
      const acknowledged = await appendThenKill(floor + 2000);
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
    const sink = await AuditFileSink.open({ dir, instance: 'after-crash' });
    const record = await sink.append(callEvent(1));
    await sink.close();
    const final = await verifyAuditLog({ dir });
    expect(final).toMatchObject({ ok: true, records: record.seq });
    const seqs = (await readLines(dir)).map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });
});
