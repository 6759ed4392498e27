#!/usr/bin/env node
/**
 * `bastion audit verify` over a log of 1,000,000 records (BENCH_AUDIT_RECORDS):
 * the records are written by the real file sink (group commit, as a server writes
 * them), then the built CLI verifies them in a child process, timed from spawn to
 * exit. Run alone with `node bench/audit-verify.mjs` after `npm run build`; run.mjs
 * calls it at the end of `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function measureAuditVerify(records = 1_000_000, say = () => {}) {
  const { AuditFileSink, argsShape } = await import(pathToFileURL(join(ROOT, 'dist/audit/index.js')).href);
  const dir = mkdtempSync(join(os.tmpdir(), 'bastion-bench-audit-'));
  try {
    const sink = await AuditFileSink.open({ dir, instance: 'bench-1' });
    const shape = argsShape({ sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', params: [1] });
    const writeStart = performance.now();
    const CHUNK = 20_000;
    for (let done = 0; done < records; done += CHUNK) {
      const batch = [];
      for (let i = done; i < Math.min(records, done + CHUNK); i++) {
        batch.push(
          sink.append({
            principal: { id: `key:bench${i % 16}`, kind: 'api_key', role: 'reader' },
            session: `s-${i % 64}`,
            correlation_id: `c${i.toString(36)}`,
            tool: 'query',
            source: 'main',
            fingerprint: '5f3c0a1b2d4e6f70',
            args_shape: shape,
            decision: 'allow',
            rows: 1,
            bytes: 180,
            duration_ms: 1.23,
            outcome: 'ok',
          }),
        );
      }
      await Promise.all(batch);
    }
    await sink.close();
    const writeMs = performance.now() - writeStart;
    const bytes = statSync(join(dir, 'audit.jsonl')).size;
    say(`audit: wrote ${records} records (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${(writeMs / 1000).toFixed(1)} s; verifying`);
    const verifyStart = performance.now();
    const out = execFileSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'audit', 'verify', '--dir', dir], { encoding: 'utf8', cwd: dir });
    const verifyMs = performance.now() - verifyStart;
    if (!out.startsWith(`OK: ${records} record(s) verified`)) throw new Error(`audit verify: unexpected output ${out}`);
    return { records, bytes, writeMs, verifyMs, recordsPerSec: records / (verifyMs / 1000) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const records = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
  const r = await measureAuditVerify(records, (t) => process.stderr.write(`${t}\n`));
  process.stdout.write(`audit verify: ${r.records} records (${(r.bytes / 2 ** 20).toFixed(0)} MiB) in ${(r.verifyMs / 1000).toFixed(2)} s (${Math.round(r.recordsPerSec)} records/s)   target < 10 s: ${r.verifyMs < 10_000 ? 'MET' : 'MISSED'}\n`);
}
