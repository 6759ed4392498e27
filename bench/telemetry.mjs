#!/usr/bin/env node
/**
 * The cost of traces on one call, in this process: sequential calls through the SDK client
 * over an in-memory transport to Bastion's session server, on a SQLite file, with the audit
 * off so the figures are the call path's own. Variants, in interleaved blocks, medians of
 * per-call latency:
 *   off        this build, no telemetry: section and no OTEL_* variable (the SDK not loaded)
 *   on         this build, traces on, every call sampled, exported over OTLP/HTTP protobuf
 *              to a sink in this process (batched: the export runs on the processor's timer)
 *   on+metrics as `on`, plus OTLP metrics (mcp.server.operation.duration and Bastion's
 *              counters), exported to the same sink every second
 *   baseline   with BENCH_BASELINE=<a checkout of another commit, built>: that build, as `off`
 *   off-copy   with BENCH_OFF_COPY=<a folder holding a copy of this build's dist/ and package.json,
 *              and node_modules where the baseline's are>: this build as `off`, its modules loaded
 *              from the same place as the baseline's, so `baseline` and `off-copy` differ only in code
 * BENCH_BLOCKS [10] sets the number of blocks of 200 calls (fewer: a quicker, noisier run).
 * Needs `npm run build`. `node bench/telemetry.mjs`. See bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 10);
const BLOCK = 200;
const dir = mkdtempSync(join(tmpdir(), 'bastion-bench-telemetry-'));
const file = join(dir, 'shop.db');
const db = new Database(file);
db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items (name) VALUES (\'a\'), (\'b\'), (\'c\');');
db.close();

let exported = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    exported++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
const tracing = { tracesUrl: `http://127.0.0.1:${sink.address().port}/v1/traces`, protocol: 'http/protobuf', serviceName: 'bench' };
const metricsExport = { metricsUrl: `http://127.0.0.1:${sink.address().port}/v1/metrics`, protocol: 'http/protobuf', serviceName: 'bench', intervalMs: 1000 };

/** `telemetry`: 'off', 'traces', or 'traces+metrics'. */
async function variant(name, root, telemetry) {
  const load = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
  const { configSchema } = await load('config/schema.js');
  const { contextFor, closeContext } = await load('app.js');
  const { createLogger } = await load('log/logger.js');
  const { createSessionServer } = await load('tools/session-server.js');
  const config = configSchema.parse({
    sources: { main: { engine: 'sqlite', path: file } },
    rate_limits: { per_principal_per_minute: 1_000_000_000 },
    state: { dir },
    audit: { enabled: false },
  });
  const withTelemetry = telemetry === 'off' ? config : telemetry === 'traces' ? { ...config, tracing } : { ...config, tracing, metricsExport };
  const ctx = await contextFor(withTelemetry, createLogger('silent'));
  const server = createSessionServer(ctx, { id: 'bench', kind: 'local', role: 'admin', scopes: [] });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(clientSide);
  return {
    name,
    call: (tool) => client.callTool(tool === 'query' ? { name: 'query', arguments: { sql: 'SELECT name FROM items WHERE id = ?', params: [2] } } : { name: 'list_sources', arguments: {} }),
    close: async () => {
      await client.close();
      await closeContext(ctx);
    },
  };
}

const variants = [await variant('off', ROOT, 'off'), await variant('on', ROOT, 'traces'), await variant('on+metrics', ROOT, 'traces+metrics')];
if (process.env.BENCH_BASELINE !== undefined) variants.push(await variant('baseline', process.env.BENCH_BASELINE, 'off'));
if (process.env.BENCH_OFF_COPY !== undefined) variants.push(await variant('off-copy', process.env.BENCH_OFF_COPY, 'off'));

async function block(target, tool) {
  const micros = [];
  for (let i = 0; i < BLOCK; i++) {
    const started = process.hrtime.bigint();
    const result = await target.call(tool);
    if (result.isError) throw new Error(`${target.name}: ${JSON.stringify(result.content)}`);
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return micros;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const tool of ['list_sources', 'query']) {
  for (const target of variants) await block(target, tool);
  const samples = new Map(variants.map((t) => [t.name, []]));
  for (let i = 0; i < BLOCKS; i++) {
    // Rotate the order per block so drift on a shared machine spreads over every variant.
    for (let j = 0; j < variants.length; j++) {
      const target = variants[(i + j) % variants.length];
      samples.get(target.name).push(...(await block(target, tool)));
    }
  }
  const off = median(samples.get('off'));
  const parts = variants.map((t) => `${t.name} ${median(samples.get(t.name)).toFixed(0)} µs`);
  const on = median(samples.get('on'));
  const observed = median(samples.get('on+metrics'));
  const base = samples.has('baseline') ? median(samples.get('baseline')) : undefined;
  const copy = samples.has('off-copy') ? median(samples.get('off-copy')) : undefined;
  process.stdout.write(
    `${tool.padEnd(13)} ${parts.join(', ')} per call (medians of ${BLOCKS * BLOCK}); on − off ${(on - off).toFixed(0)} µs, on+metrics − off ${(observed - off).toFixed(0)} µs` +
      (base === undefined ? '' : `, off − baseline ${(off - base).toFixed(0)} µs`) +
      (base === undefined || copy === undefined ? '' : `, off-copy − baseline ${(copy - base).toFixed(0)} µs`) +
      '\n',
  );
}
for (const target of variants) await target.close();
process.stdout.write(`exports received by the sink: ${exported}\n`);
sink.close();
rmSync(dir, { recursive: true, force: true });
