#!/usr/bin/env node
/**
 * The plan-cost guard at the source, without MCP or HTTP: sequential point lookups through
 * PostgresSource.read and PgliteSource.read with the guard off and on (a bound out of reach,
 * so every call is planned first and none is refused), in interleaved blocks, medians of
 * per-call latency. Needs `npm run build` and the bench database (`node bench/run.mjs` makes
 * it once). `node bench/plan-guard.mjs`; BENCH_PG_URL as in run.mjs. See bench/README.md.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { PostgresSource } = await load('engines/postgres/source.js');
const { PgliteSource } = await load('engines/pglite/source.js');
const { sourceSchema } = await load('config/schema.js');
const { createLogger } = await load('log/logger.js');

const PG_URL = `${process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432'}/bastion_bench`;
const BLOCKS = 10;
const BLOCK = 200;
const BOUND = { maxCost: 1e12 };
const log = createLogger('silent');

const targets = [
  { name: 'postgres', source: new PostgresSource('bench', sourceSchema.parse({ engine: 'postgres', url: PG_URL }), log), sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', keys: 1_000_000 },
  { name: 'pglite', source: new PgliteSource('demo', sourceSchema.parse({ engine: 'pglite' }), log), sql: 'SELECT * FROM shop.customers WHERE id = $1', keys: 5 },
];

async function block(target, guarded) {
  const micros = [];
  for (let i = 0; i < BLOCK; i++) {
    const started = process.hrtime.bigint();
    await target.source.read({
      sql: target.sql,
      params: [1 + Math.floor(Math.random() * target.keys)],
      maxRows: 1000,
      maxBytes: 1 << 20,
      planBound: guarded ? BOUND : undefined,
    });
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return micros;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const target of targets) {
  await block(target, false);
  await block(target, true);
  const off = [];
  const on = [];
  for (let i = 0; i < BLOCKS; i++) {
    off.push(...(await block(target, false)));
    on.push(...(await block(target, true)));
  }
  const [a, b] = [median(off), median(on)];
  process.stdout.write(`${target.name.padEnd(9)} guard off ${a.toFixed(0)} µs, on ${b.toFixed(0)} µs per read (medians of ${off.length}); +${(b - a).toFixed(0)} µs, off/on ${(a / b).toFixed(3)}\n`);
  await target.source.close();
}
