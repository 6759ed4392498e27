#!/usr/bin/env node
/**
 * Bastion benchmark: `npm run bench` (builds, then runs this file).
 *
 * One run measures, interleaved over several rounds on the same machine:
 *   raw-pg         pg Pool (max 8) in this process: the physical limit
 *   bare-stdio     bench/bare-server.mjs over stdio: the MCP SDK protocol ceiling
 *   bare-http      bench/bare-server.mjs over the SDK's StreamableHTTPServerTransport
 *   bastion-stdio  node dist/cli/main.js serve --db ...
 *   bastion-http   node dist/cli/main.js serve --db ... --http --no-auth --port 0 (audit on, the default)
 *   bastion-noaudit-http  the same with audit.enabled: false (prices the audit stage)
 *   bastion-auth-http     API key, a table-scoped role and per-tool/source limits
 *   bastion-observed-http bastion-http with OpenTelemetry traces (every call sampled) and
 *                         OTLP metrics on (exported every second), to the same sink
 *   bastion-traced-http   bastion-http with OpenTelemetry traces on (every call sampled),
 *                         exported over OTLP/HTTP protobuf to a sink in this process
 *   bastion-plan-http     bastion-http with the plan-cost guard on (prices the EXPLAIN before each query)
 * then the row/byte-cap test through Bastion HTTP, and, once those servers are stopped,
 * the other engines (bench/engines.mjs), each interleaved over the same rounds:
 *   mysql   raw mysql2/promise pool (max 8, `execute`) vs Bastion HTTP on MariaDB
 *           127.0.0.1:3306 (root, empty password), bastion_bench.accounts, 100,000 rows
 *   sqlite  raw better-sqlite3 `.get` (synchronous: the single-thread ceiling) vs
 *           Bastion HTTP on a temp SQLite file with the same table and rows
 *   pglite  raw PGlite `query` in this process vs Bastion HTTP on a copy of the same
 *           PGlite data directory
 *   (SELECT abalance FROM accounts WHERE aid = ?; an engine that cannot be reached is
 *   skipped with a reason), and last `bastion audit verify` over 1,000,000 records
 * (bench/audit-verify.mjs). See bench/README.md.
 *
 * Environment knobs (defaults in brackets): BENCH_ROUNDS [3], BENCH_WARMUP_S [2],
 * BENCH_MEASURE_S [5], BENCH_CONCURRENCY [8], BENCH_PG_URL
 * [postgres://postgres@127.0.0.1:5432], BENCH_CPU_PROF=1 (write .cpuprofile files of
 * the server children to bench/results/prof; the numbers of such a run are skewed),
 * BENCH_AUDIT_RECORDS [1000000], BENCH_ENGINES=0 (skip the MySQL/MariaDB and SQLite
 * section), BENCH_MYSQL_URL [mysql://root@127.0.0.1:3306], BENCH_BASELINE=<a checkout of
 * another commit, built> (adds baseline-http and baseline-literal-http: that build's
 * dist/cli/main.js with the same config, so two commits compare in one run),
 * BENCH_TARGETS=<comma list of targets, e.g. bastion-observed-http> (a partial run: only
 * those targets plus bastion-http and raw-pg, their throughput table and the ratios among
 * them; no cap test, engines or audit verify, and results/latest.json is left as it is).
 *
 * bastion-literal-http sends the point lookup with its aid as a literal constant instead
 * of $1 (a new statement text on every call), to a server of its own with bastion-http's
 * config: the policy's verdict cache never hits, so it prices parsing and checking a statement.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  HttpSession,
  StdioRpc,
  cpuMsOf,
  createAgent,
  killAllChildren,
  machineCpu,
  median,
  memoryOf,
  pgBackendsCpu,
  pgCpuBetween,
  percentile,
  resetPeak,
  spawnServer,
  stopServer,
} from './lib.mjs';
import { measureAuditVerify } from './audit-verify.mjs';
import { measureEngines } from './engines.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
};
const CFG = {
  rounds: num('BENCH_ROUNDS', 3),
  warmupS: num('BENCH_WARMUP_S', 2),
  measureS: num('BENCH_MEASURE_S', 5),
  concurrency: num('BENCH_CONCURRENCY', 8),
  pgBase: (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, ''),
  db: 'bastion_bench',
  scale: 10,
  accounts: 1_000_000,
  capRepeats: 3,
  cpuProf: process.env.BENCH_CPU_PROF === '1',
  auditRecords: num('BENCH_AUDIT_RECORDS', 1_000_000),
  engines: process.env.BENCH_ENGINES !== '0',
};
const DB_URL = `${CFG.pgBase}/${CFG.db}`;
const POINT_SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
/** The same lookup with the aid inlined: a statement text the server has not seen before. */
const literalPointSql = () => `SELECT abalance FROM pgbench_accounts WHERE aid = ${randomAid()}`;
const BASELINE_ROOT = process.env.BENCH_BASELINE || undefined;
const CAP_SQL = 'SELECT * FROM pgbench_accounts';
const randomAid = () => 1 + Math.floor(Math.random() * CFG.accounts);
/**
 * The MCP targets: [kind, transport, era]. `dbhub` is DBHub 1.4 (a dev dependency) sent the
 * literal lookup; `-2026` targets speak the stateless 2026-07-28 era (no initialize, the
 * envelope in every request), the others 2025.
 */
const MCP_TARGETS = [
  ['bare', 'stdio'],
  ['bare', 'http'],
  ['bastion', 'stdio'],
  ['bastion', 'http'],
  ['bastion-noaudit', 'http'],
  ['bastion-traced', 'http'],
  ['bastion-observed', 'http'],
  ['bastion-auth', 'http'],
  ['bastion-masked', 'http'],
  ['bastion-plan', 'http'],
  ['bastion-literal', 'http'],
  ['bastion-literal', 'stdio'],
  ['dbhub', 'stdio'],
  ['dbhub', 'http'],
  ['bastion-literal', 'stdio', 'modern'],
  ['dbhub', 'stdio', 'modern'],
  ['bastion-literal', 'http', 'modern'],
  ['dbhub', 'http', 'modern'],
  ...(BASELINE_ROOT === undefined ? [] : [['baseline', 'http'], ['baseline-literal', 'http']]),
];
/**
 * BENCH_ONLY=key,key…: measure only these targets (raw-pg always runs) and skip the cap test,
 * the engines and audit verify — for a quick look at a few rows; a full run measures all.
 */
let ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((k) => k.trim())) : undefined;
// BENCH_TARGETS=key,…: the same, with bastion-http always measured beside them (the on/off cases' baseline).
if (ONLY === undefined && process.env.BENCH_TARGETS) ONLY = new Set(['bastion-http', ...process.env.BENCH_TARGETS.split(',').map((k) => k.trim())]);

const servers = [];

/**
 * Where bastion-traced-http sends its spans: an OTLP/HTTP endpoint in this process that
 * reads and drops each export (its CPU counts as the driver's), counting what arrived.
 */
const traceSink = { endpoint: '', exports: 0, bytes: 0, server: undefined };
async function startTraceSink() {
  traceSink.server = createServer((req, res) => {
    req.on('data', (chunk) => (traceSink.bytes += chunk.length));
    req.on('end', () => {
      traceSink.exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => traceSink.server.listen(0, '127.0.0.1', resolve));
  traceSink.endpoint = `http://127.0.0.1:${traceSink.server.address().port}`;
}
/** Bastion's temp config folders, one per server (see workDirFor). */
const workDirs = new Map();
function cleanupSync() {
  killAllChildren();
  for (const dir of workDirs.values()) rmSync(dir, { recursive: true, force: true });
  workDirs.clear();
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping the servers\n`);
    cleanupSync();
    process.exit(130);
  });
}

const say = (text) => process.stderr.write(`${text}\n`);

// ---------------------------------------------------------------- setup

async function checkPostgres() {
  const client = new pg.Client({ connectionString: `${CFG.pgBase}/postgres`, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [CFG.db]);
    if (exists.rowCount === 0) {
      say(`creating database ${CFG.db}`);
      await client.query(`CREATE DATABASE ${CFG.db}`);
    }
    return rows[0].server_version;
  } catch (error) {
    say(
      `bench: PostgreSQL is not reachable at ${CFG.pgBase}/postgres (${error.message}).\n` +
        'The benchmark needs PostgreSQL 15 on 127.0.0.1:5432 with trust auth for user postgres ' +
        '(or set BENCH_PG_URL=postgres://user@host:port).',
    );
    process.exit(2);
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensurePgbenchData() {
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  let count = -1;
  try {
    count = Number((await client.query('SELECT count(*) AS n FROM pgbench_accounts')).rows[0].n);
  } catch {
    // table missing
  } finally {
    await client.end();
  }
  if (count === CFG.accounts) {
    say(`pgbench_accounts already has ${count} rows; skipping the load`);
    return { loaded: false, loadMs: 0 };
  }
  const url = new URL(CFG.pgBase);
  const args = ['-i', '-s', String(CFG.scale), '-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres'), CFG.db];
  say(`loading pgbench scale ${CFG.scale}: pgbench ${args.join(' ')}`);
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const child = spawn('pgbench', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('pgbench -i took longer than 240 s'));
    }, 240_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run pgbench (${error.message}); install postgresql-client-15 or load the data by hand`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`pgbench -i exited with code ${code}`));
    });
  });
  return { loaded: true, loadMs: performance.now() - t0 };
}

// ---------------------------------------------------------------- servers

function childEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('BASTION_')) delete env[key];
  return env;
}

/**
 * Bastion's configuration for the run, in a fresh temp folder that is also its cwd
 * (so no stray ./bastion.yaml or .bastion/ state is picked up or left behind).
 * Everything is the default except the per-principal rate limit (60 calls/min) and the
 * per-principal statements in flight (4), which would otherwise refuse most calls of one
 * principal sending 8 at a time: both are raised out of reach, so the limiters still run on
 * every call (their cost is measured) but never say no.
 */
const BASTION_CONFIG_YAML = `# written by bench/run.mjs; the source comes from --db
rate_limits:
  per_principal_per_minute: 1000000000
limits:
  max_in_flight_per_principal: 64
`;

/** The same with the audit trail off: the contrast that prices the audit stage. */
const BASTION_NOAUDIT_CONFIG_YAML = `${BASTION_CONFIG_YAML}audit:
  enabled: false
`;

/**
 * The same server with the identity and access stages doing real work: an API key
 * (the default auth), a custom role whose table allow-list makes every statement go
 * through relation resolution, per-tool and per-source limits, all set out of reach.
 */
const BASTION_AUTH_CONFIG_YAML = `# written by bench/run.mjs; the source comes from --db
state:
  dir: ./state
roles:
  bench:
    tools: [query]
    tables: { allow: ["public.pgbench_*"], deny: ["public.pgbench_history"] }
rate_limits:
  per_principal_per_minute: 1000000000
  per_tool: { query: 1000000000 }
  per_source: { main: 1000000000 }
limits:
  max_in_flight_per_principal: 64
`;
/**
 * The same, with column rules on the point-lookup table: the role sees pgbench_accounts
 * with \`filler\` masked and \`bid\` denied, so every call runs the statement as rebuilt
 * (the table replaced by a subquery applying the rules, names pinned). The contrast with
 * bastion-auth prices column security by construction.
 */
const BASTION_MASKED_CONFIG_YAML = BASTION_AUTH_CONFIG_YAML.replace(
  '    tables: { allow: ["public.pgbench_*"], deny: ["public.pgbench_history"] }\n',
  '    tables: { allow: ["public.pgbench_*"], deny: ["public.pgbench_history"] }\n    columns: { deny: ["public.pgbench_accounts.bid"], mask: { "public.pgbench_accounts.filler": partial } }\n',
);
/**
 * The same as bastion-http with the plan-cost guard on, its bound out of reach: every call is
 * planned with EXPLAIN first (one more round trip, a second planning) and never refused. The
 * contrast with bastion-http prices the guard and chose its default (off).
 */
const BASTION_PLAN_CONFIG_YAML = `${BASTION_CONFIG_YAML}  max_plan_cost: 1000000000000
`;
/**
 * DBHub 1.4 (the closest peer; a dev dependency) on the same database, configured as close to
 * Bastion's defaults as it goes: its execute_sql read-only (it refuses statements it does not
 * classify as reads) with a 1,000-row cap. It takes no parameters, so it is always sent the
 * literal-constant lookup, and is compared with bastion-literal (the same statement texts).
 */
const DBHUB_TOML = `# written by bench/run.mjs
[[sources]]
id = "main"
dsn = "${DB_URL}?sslmode=disable"

[[tools]]
name = "execute_sql"
source = "main"
readonly = true
max_rows = 1000
`;
const DBHUB_ENTRY = join(ROOT, 'node_modules/@bytebase/dbhub/dist/index.js');
const CONFIG_OF = { 'bastion-observed': BASTION_CONFIG_YAML, 'bastion-traced': BASTION_CONFIG_YAML, bastion: BASTION_CONFIG_YAML, 'bastion-literal': BASTION_CONFIG_YAML, baseline: BASTION_CONFIG_YAML, 'baseline-literal': BASTION_CONFIG_YAML, 'bastion-noaudit': BASTION_NOAUDIT_CONFIG_YAML, 'bastion-auth': BASTION_AUTH_CONFIG_YAML, 'bastion-masked': BASTION_MASKED_CONFIG_YAML, 'bastion-plan': BASTION_PLAN_CONFIG_YAML };

/**
 * A fresh temp folder per server (kind and transport) that is also its cwd, so no
 * stray ./bastion.yaml is picked up and each server writes its own audit log (one
 * writer per folder).
 */
function workDirFor(kind, transport) {
  const name = `${kind}-${transport}`;
  if (!workDirs.has(name)) {
    const dir = mkdtempSync(join(os.tmpdir(), `bastion-bench-${name}-`));
    if (kind === 'dbhub') writeFileSync(join(dir, 'dbhub.toml'), DBHUB_TOML);
    else writeFileSync(join(dir, 'bastion.yaml'), CONFIG_OF[kind]);
    workDirs.set(name, dir);
  }
  return workDirs.get(name);
}

/** An API key for the `bench` role of a server kind, made with the CLI as a user would. */
function benchApiKey(kind) {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'keys', 'create', '--name', 'bench', '--role', 'bench'], {
    cwd: workDirFor(kind, 'http-legacy'),
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.toString('utf8').trim();
}

function profArgs(name) {
  if (!CFG.cpuProf) return [];
  const dir = join(RESULTS_DIR, 'prof');
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
}

/** A target's name: kind and transport, with `-2026` when it speaks the 2026-07-28 era. */
const targetName = (kind, transport, era) => `${kind}-${transport}${era === 'modern' ? '-2026' : ''}`;

async function startDbhub(transport, era) {
  const stdio = transport === 'stdio';
  const name = targetName('dbhub', transport, era);
  const workDir = workDirFor('dbhub', `${transport}-${era}`);
  const args = [...profArgs(name), DBHUB_ENTRY, '--transport', stdio ? 'stdio' : 'http', '--config', join(workDir, 'dbhub.toml')];
  if (!stdio) args.push('--host', '127.0.0.1', '--port', '0');
  const readyText = stdio ? /^MCP server running on stdio/ : /^HTTP server listening on [^:]+:(\d+)/;
  const server = spawnServer({ name, args, readyText, cwd: workDir, env: childEnv() });
  servers.push({ server, stdio });
  const ready = await server.ready;
  return { name, server, pid: server.child.pid, stdio, url: stdio ? undefined : `http://127.0.0.1:${ready.match[1]}/mcp` };
}

async function startServer(kind, transport, era = 'legacy') {
  if (kind === 'dbhub') return startDbhub(transport, era);
  const stdio = transport === 'stdio';
  const name = targetName(kind, transport, era);
  const script = kind === 'bare' ? join(BENCH_DIR, 'bare-server.mjs') : join(kind.startsWith('baseline') ? BASELINE_ROOT : ROOT, 'dist/cli/main.js');
  const args = [...profArgs(name), script];
  const workDir = kind === 'bare' ? undefined : workDirFor(kind, `${transport}-${era}`);
  if (kind !== 'bare') args.push('serve', '--config', join(workDir, 'bastion.yaml'));
  args.push('--db', DB_URL);
  const withKeys = kind === 'bastion-auth' || kind === 'bastion-masked';
  if (!stdio) args.push('--http', '--port', '0', ...(withKeys ? [] : ['--no-auth']));
  const readyMsg = `${kind === 'bare' ? 'bare' : 'bastion'} serving over ${stdio ? 'stdio' : 'HTTP'}`;
  // Traces on by the standard variable, as an operator would; the default sampler records every call.
  // bastion-traced: traces only (OTEL_METRICS_EXPORTER=none); bastion-observed: traces and OTLP metrics, exported every second.
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: traceSink.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  const env =
    kind === 'bastion-traced'
      ? { ...childEnv(), ...otlp, OTEL_METRICS_EXPORTER: 'none' }
      : kind === 'bastion-observed'
        ? { ...childEnv(), ...otlp, OTEL_METRIC_EXPORT_INTERVAL: '1000' }
        : childEnv();
  const server = spawnServer({ name, args, readyMsg, cwd: kind === 'bare' ? BENCH_DIR : workDir, env });
  servers.push({ server, stdio });
  const ready = await server.ready;
  return { name, server, pid: server.child.pid, stdio, url: ready.url };
}

/** The per-worker call functions of one target, plus the process doing the server work. */
async function prepareMcpTarget(kind, transport, era = 'legacy') {
  const s = await startServer(kind, transport, era);
  const dbhub = kind === 'dbhub';
  const literal = kind.endsWith('-literal');
  const tool = dbhub ? 'execute_sql' : 'query';
  const args = dbhub ? () => ({ sql: literalPointSql() }) : literal ? () => ({ sql: literalPointSql(), params: [] }) : () => ({ sql: POINT_SQL, params: [randomAid()] });
  let workers;
  let capSession;
  if (s.stdio) {
    // ONE server process, CONCURRENCY requests in flight over its single pipe.
    const rpc = new StdioRpc(s.server.child, { era });
    await rpc.initialize();
    workers = Array.from({ length: CFG.concurrency }, () => () => rpc.callTool(tool, args()));
  } else {
    // CONCURRENCY sessions over a keep-alive agent with as many sockets.
    const agent = createAgent(CFG.concurrency);
    const sessions = [];
    let token;
    if (kind === 'bastion-auth' || kind === 'bastion-masked') {
      token = benchApiKey(kind);
      // the running server loads new keys from its store within a second
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    for (let i = 0; i < CFG.concurrency; i++) {
      const session = new HttpSession(s.url, agent, token, { era });
      await session.initialize();
      sessions.push(session);
    }
    workers = sessions.map((session) => () => session.callTool(tool, args()));
    capSession = sessions[0];
    s.agent = agent;
  }
  return { key: s.name, pid: s.pid, workers, check: dbhub ? checkDbhub : checkMcp, capSession, server: s };
}

function checkMcp(result) {
  const rows = result.structuredContent?.rows;
  return Array.isArray(rows) && rows.length === 1 && typeof rows[0][0] === 'number';
}

/** DBHub answers one text part holding JSON: `{ success, data: { statements: [{ rows: [{ abalance }] }] } }`. */
function checkDbhub(result) {
  try {
    const rows = JSON.parse(result.content[0].text).data.statements[0].rows;
    return rows.length === 1 && typeof rows[0].abalance === 'number';
  } catch {
    return false;
  }
}

function prepareRawTarget() {
  const pool = new pg.Pool({ connectionString: DB_URL, max: CFG.concurrency, application_name: 'bench-raw' });
  pool.on('error', () => {});
  const workers = Array.from({ length: CFG.concurrency }, () => () => pool.query(POINT_SQL, [randomAid()]));
  return { key: 'raw-pg', pid: undefined, workers, check: (r) => r.rows.length === 1, pool };
}

// ---------------------------------------------------------------- measuring

async function measure(target, warmupMs, measureMs) {
  const latencies = [];
  let errors = 0;
  let firstError;
  const state = { measuring: false, stop: false, start: 0, end: Infinity };
  const snap = () => ({
    at: performance.now(),
    serverCpu: target.pid ? cpuMsOf(target.pid) : 0,
    driverCpu: process.cpuUsage(),
    machine: machineCpu(),
    pg: pgBackendsCpu(CFG.db),
  });
  let first;
  let last;
  setTimeout(() => {
    first = snap();
    state.start = first.at;
    state.measuring = true;
  }, warmupMs);
  setTimeout(() => {
    last = snap();
    state.end = last.at;
    state.stop = true;
  }, warmupMs + measureMs);

  await Promise.all(
    target.workers.map(async (call) => {
      while (!state.stop) {
        const a = performance.now();
        try {
          const result = await call();
          if (!target.check(result)) throw new Error(`unexpected result: ${JSON.stringify(result).slice(0, 200)}`);
        } catch (error) {
          errors++;
          firstError ??= error;
          if (errors > 100) state.stop = true;
          continue;
        }
        target.totalCalls = (target.totalCalls ?? 0) + 1;
        const b = performance.now();
        if (state.measuring && b <= state.end) latencies.push(b - a);
      }
    }),
  );
  if (errors > 100) throw new Error(`${target.key}: too many errors; first: ${firstError?.message}`);
  const seconds = (last.at - first.at) / 1000;
  latencies.sort((x, y) => x - y);
  const calls = latencies.length;
  const driverCpuMs = (last.driverCpu.user - first.driverCpu.user + last.driverCpu.system - first.driverCpu.system) / 1000;
  const machineBusy = (last.machine.busy - first.machine.busy) / (last.machine.total - first.machine.total);
  return {
    calls,
    seconds,
    callsPerSec: calls / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    firstError: firstError?.message,
    serverCpuUsPerCall: target.pid ? ((last.serverCpu - first.serverCpu) * 1000) / calls : null,
    driverCpuUsPerCall: (driverCpuMs * 1000) / calls,
    pgCpuUsPerCall: (pgCpuBetween(first.pg, last.pg) * 1000) / calls,
    machineBusyPct: machineBusy * 100,
  };
}

// ---------------------------------------------------------------- cap test

async function capTest(target) {
  const { capSession, pid } = target;
  const runs = [];
  for (let i = 0; i < CFG.capRepeats; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const before = memoryOf(pid);
    const canReset = resetPeak(pid);
    let peakKb = before.rssKb;
    const sampler = setInterval(() => {
      peakKb = Math.max(peakKb, memoryOf(pid).rssKb);
    }, 2);
    const t0 = performance.now();
    const { res, msg } = await capSession.request('tools/call', { name: 'query', arguments: { sql: CAP_SQL } });
    const ms = performance.now() - t0;
    clearInterval(sampler);
    const after = memoryOf(pid);
    peakKb = Math.max(peakKb, after.rssKb, canReset ? after.hwmKb : 0);
    if (msg.error || msg.result?.isError) throw new Error(`cap query failed: ${JSON.stringify(msg).slice(0, 300)}`);
    const sc = msg.result.structuredContent;
    runs.push({
      ms,
      rowCount: sc.row_count,
      truncated: sc.truncated,
      truncatedBy: sc.truncated_by,
      responseBytes: Buffer.byteLength(res.body),
      rssBeforeMb: before.rssKb / 1024,
      rssPeakMb: peakKb / 1024,
      extraMb: (peakKb - before.rssKb) / 1024,
      peakFromHwm: canReset,
    });
  }
  return {
    runs,
    firstMs: runs[0].ms,
    medianMs: median(runs.map((r) => r.ms)),
    maxMs: Math.max(...runs.map((r) => r.ms)),
    maxExtraMb: Math.max(...runs.map((r) => r.extraMb)),
    rowCount: runs[0].rowCount,
    truncated: runs[0].truncated,
    truncatedBy: runs[0].truncatedBy,
    responseBytes: runs[0].responseBytes,
  };
}

async function rawFullLoad() {
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  try {
    const limited = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await client.query(`${CAP_SQL} LIMIT 1001`);
      limited.push(performance.now() - t);
    }
    const rssBefore = process.memoryUsage.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 5);
    const t0 = performance.now();
    let result = await client.query(CAP_SQL);
    const ms = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    const rows = result.rows.length;
    result = undefined;
    return { fullMs: ms, fullRows: rows, driverExtraMb: (peak - rssBefore) / 1024 / 1024, limit1001MedianMs: median(limited) };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- output

const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** BENCH_ONLY: the table and the ratios its targets allow, nothing else. */
function printQuick({ throughput, ratios, cpuRatios }) {
  const out = ['', `Bastion benchmark (BENCH_ONLY=${process.env.BENCH_ONLY})  ${new Date().toISOString()}  (Bastion ${gitRevision()})`, `load avg ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`, ''];
  out.push(...throughputLines(throughput, ratios), ...cpuLines(cpuRatios));
  process.stdout.write(`${out.join('\n')}\n`);
}

function cpuLines(c) {
  return [
    'CPU per call, bare or DBHub / bastion (a noise-robust proxy for the throughput ratio while the CPUs are saturated):',
    `  http  bare ${f(c.httpBareOverBastion, 3)}  dbhub ${f(c.httpDbhubOverBastion, 3)}    stdio  bare ${f(c.stdioBareOverBastion, 3)}  dbhub ${f(c.stdioDbhubOverBastion, 3)}`,
  ];
}

/** The per-target table and the ratios under it. */
function throughputLines(throughput, ratios) {
  const head = ['target', 'calls/s', 'p50 ms', 'p99 ms', 'calls/s per round', 'server', 'client', 'PG', 'total', 'cores used', 'machine busy'];
  const rows = [head];
  for (const [key, t] of Object.entries(throughput)) {
    rows.push([
      key,
      f(t.callsPerSec),
      f(t.p50Ms, 2),
      f(t.p99Ms, 2),
      t.rounds.map((r) => f(r.callsPerSec)).join(' / '),
      t.serverCpuUsPerCall === null ? '-' : f(t.serverCpuUsPerCall),
      f(t.driverCpuUsPerCall),
      f(t.pgCpuUsPerCall),
      f(t.totalCpuUsPerCall),
      f(t.coresUsed, 2),
      `${f(t.machineBusyPct)}%`,
    ]);
  }
  const out = [...table(rows)];
  out.push('(server / client / PG / total: CPU microseconds per call, from /proc; client = this process; cores used = calls/s x total)');
  out.push('');
  out.push('ratios (calls/s, medians):');
  for (const r of ratios) {
    out.push(`  ${r.name.padEnd(28)} ${f(r.value, 3)}${r.target !== undefined ? `   target >= ${r.target}: ${r.value >= r.target ? 'MET' : 'MISSED'}` : ''}`);
  }
  return out;
}

function printReport(report) {
  const { machine, throughput, ratios, cap, raw, config } = report;
  const out = [];
  out.push('');
  out.push(`Bastion benchmark  ${report.timestamp}  (Bastion ${report.bastionRevision})`);
  out.push(
    `machine: ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, PostgreSQL ${machine.postgres}, load avg at start ${machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}`,
  );
  out.push(
    `workload: ${POINT_SQL}, random aid, ${config.concurrency} concurrent, ${config.rounds} rounds x (${config.warmupS} s warm-up + ${config.measureS} s measured), medians over rounds`,
  );
  out.push('  (bastion-literal-*, dbhub-*: the aid written into the statement as a literal; DBHub takes no parameters)');
  out.push('');
  out.push(...throughputLines(throughput, ratios));
  out.push(`bastion-traced-http exported ${report.traceSink.exports} OTLP requests (${f(report.traceSink.bytes / 1e6, 1)} MB) to the in-process sink`);
  out.push(...cpuLines(report.cpuRatios));
  out.push('');
  out.push(`cap test via bastion-http: ${CAP_SQL} (${CFG.accounts} rows), ${cap.runs.length} calls`);
  out.push(
    `  returned ${cap.rowCount} rows, truncated=${cap.truncated} (${cap.truncatedBy}), response ${f(cap.responseBytes / 1024)} KiB`,
  );
  out.push(
    `  wall time: first ${f(cap.firstMs)} ms, median ${f(cap.medianMs)} ms, max ${f(cap.maxMs)} ms   target < 1000 ms: ${cap.maxMs < 1000 ? 'MET' : 'MISSED'}`,
  );
  out.push(
    `  server RSS: before ${cap.runs.map((r) => f(r.rssBeforeMb, 1)).join('/')} MB, peak ${cap.runs.map((r) => f(r.rssPeakMb, 1)).join('/')} MB, ` +
      `max extra ${f(cap.maxExtraMb, 1)} MB   target < 100 MB: ${cap.maxExtraMb < 100 ? 'MET' : 'MISSED'}`,
  );
  out.push(`raw pg contrast: full ${CAP_SQL} loads ${raw.fullRows} rows in ${f(raw.fullMs)} ms (+${f(raw.driverExtraMb)} MB RSS in the client); LIMIT 1001 median ${f(raw.limit1001MedianMs, 1)} ms`);
  const av = report.auditVerify;
  out.push(
    `audit verify: ${av.records} records (${f(av.bytes / 2 ** 20)} MiB) in ${f(av.verifyMs / 1000, 2)} s (${f(av.recordsPerSec)} records/s)   target < 10 s: ${av.verifyMs < 10_000 ? 'MET' : 'MISSED'}`,
  );
  out.push(...engineLines(report.engines));
  out.push('');
  out.push(`results: ${report.resultsFile}${CFG.cpuProf ? ' (CPU-profiled run: figures skewed by the profiler)' : ''}   total run ${f(report.totalSeconds, 1)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The MySQL/MariaDB, SQLite and PGlite section of the report (bench/engines.mjs). */
function engineLines(engines) {
  if (!engines) return ['engines: skipped (BENCH_ENGINES=0)'];
  const c = engines.config;
  const out = [`engines: ${c.pointSql}, random aid of ${c.rows}, ${c.concurrency} concurrent, ${c.rounds} rounds, medians over rounds`];
  const rows = [['engine', 'raw calls/s', 'bastion-http calls/s', 'ratio', 'raw p50/p99 ms', 'bastion p50/p99 ms', 'bastion server µs/call', 'server']];
  for (const name of ['mysql', 'sqlite', 'pglite']) {
    const e = engines[name];
    if (!e || e.skipped) {
      out.push(`  ${name}: skipped: ${e?.skipped ?? 'no result'}`);
      continue;
    }
    rows.push([
      name,
      f(e.raw.callsPerSec),
      f(e.bastion.callsPerSec),
      f(e.ratio, 3),
      `${f(e.raw.p50Ms, 2)} / ${f(e.raw.p99Ms, 2)}`,
      `${f(e.bastion.p50Ms, 2)} / ${f(e.bastion.p99Ms, 2)}`,
      e.bastion.serverCpuUsPerCall === null ? '-' : f(e.bastion.serverCpuUsPerCall),
      e.server,
    ]);
  }
  if (rows.length > 1) out.push(...table(rows).map((l) => `  ${l}`));
  out.push('  (sqlite raw is better-sqlite3 in this process, synchronous: the single-thread ceiling, not a pool;');
  out.push('   pglite raw is PGlite in this process: one statement at a time, no network, no process hop)');
  return out;
}


function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, ri) =>
    r.map((c, i) => (i === 0 || ri === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '),
  );
}

// ---------------------------------------------------------------- main

async function main() {
  const started = performance.now();
  const loadAvgStart = os.loadavg();
  const pgVersion = await checkPostgres();
  const setup = await ensurePgbenchData();
  mkdirSync(RESULTS_DIR, { recursive: true });

  say('starting servers');
  await startTraceSink();
  const raw = prepareRawTarget();
  const targets = [raw];
  for (const [kind, transport, era] of MCP_TARGETS) {
    if (ONLY !== undefined && !ONLY.has(targetName(kind, transport, era))) continue;
    targets.push(await prepareMcpTarget(kind, transport, era));
  }
  // Sanity: one call each, with the expected result, before anything is timed.
  for (const t of targets) {
    const r = await t.workers[0]();
    if (!t.check(r)) throw new Error(`${t.key}: unexpected result ${JSON.stringify(r).slice(0, 300)}`);
  }

  const perRound = Object.fromEntries(targets.map((t) => [t.key, []]));
  for (let round = 0; round < CFG.rounds; round++) {
    // Rotate the order each round so drift on the shared machine spreads over all targets.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const r = await measure(t, CFG.warmupS * 1000, CFG.measureS * 1000);
      perRound[t.key].push(r);
      say(`round ${round + 1}/${CFG.rounds}  ${t.key.padEnd(14)} ${f(r.callsPerSec).padStart(6)} calls/s  p50 ${f(r.p50Ms, 2)} ms  p99 ${f(r.p99Ms, 2)} ms${r.errors ? `  errors ${r.errors}: ${r.firstError}` : ''}`);
    }
  }

  const throughput = {};
  for (const t of targets) {
    const rounds = perRound[t.key];
    throughput[t.key] = {
      callsPerSec: median(rounds.map((r) => r.callsPerSec)),
      p50Ms: median(rounds.map((r) => r.p50Ms)),
      p99Ms: median(rounds.map((r) => r.p99Ms)),
      serverCpuUsPerCall: t.pid ? median(rounds.map((r) => r.serverCpuUsPerCall)) : null,
      driverCpuUsPerCall: median(rounds.map((r) => r.driverCpuUsPerCall)),
      pgCpuUsPerCall: median(rounds.map((r) => r.pgCpuUsPerCall)),
      /** server + client + PostgreSQL CPU per call: what one call costs this machine. */
      totalCpuUsPerCall: median(rounds.map((r) => (r.serverCpuUsPerCall ?? 0) + r.driverCpuUsPerCall + r.pgCpuUsPerCall)),
      /** CPU cores the benchmark's processes kept busy (the rest of "machine busy" is other load). */
      coresUsed: median(rounds.map((r) => (r.callsPerSec * ((r.serverCpuUsPerCall ?? 0) + r.driverCpuUsPerCall + r.pgCpuUsPerCall)) / 1e6)),
      machineBusyPct: median(rounds.map((r) => r.machineBusyPct)),
      errors: rounds.reduce((a, r) => a + r.errors, 0),
      // every successful point lookup this target served, warm-ups included (for per-call profile figures)
      totalCalls: t.totalCalls ?? 0,
      rounds,
    };
  }
  const cps = (k) => throughput[k]?.callsPerSec ?? Number.NaN;
  const ratios = [
    { name: 'bastion-literal-stdio / dbhub-stdio (2025 era, the same literal statements)', value: cps('bastion-literal-stdio') / cps('dbhub-stdio'), target: 1.0, key: 'stdioOverDbhub' },
    { name: 'bastion-literal-http / dbhub-http (2025 era, the same literal statements)', value: cps('bastion-literal-http') / cps('dbhub-http'), target: 2.0, key: 'httpOverDbhub' },
    { name: 'bastion-literal-stdio-2026 / dbhub-stdio-2026 (2026-07-28 era)', value: cps('bastion-literal-stdio-2026') / cps('dbhub-stdio-2026'), target: 1.0, key: 'stdio2026OverDbhub' },
    { name: 'bastion-literal-http-2026 / dbhub-http-2026 (2026-07-28 era)', value: cps('bastion-literal-http-2026') / cps('dbhub-http-2026'), target: 2.0, key: 'http2026OverDbhub' },
    { name: 'bastion-http / bare-http', value: cps('bastion-http') / cps('bare-http'), target: 1.0, key: 'httpBastionOverBare' },
    { name: 'bastion-stdio / bare-stdio', value: cps('bastion-stdio') / cps('bare-stdio'), target: 0.9, key: 'stdioBastionOverBare' },
    { name: 'bastion-auth-http / bastion-http (auth, roles, limits on vs off)', value: cps('bastion-auth-http') / cps('bastion-http'), target: 0.9 },
    { name: 'bastion-masked-http / bastion-auth-http (column rules on the point-lookup table: statement rebuilt, names pinned)', value: cps('bastion-masked-http') / cps('bastion-auth-http') },
    { name: 'bastion-http / bastion-noaudit-http (audit on vs off)', value: cps('bastion-http') / cps('bastion-noaudit-http'), target: 0.9, key: 'auditOnOverOff' },
    { name: 'bastion-plan-http / bastion-http (plan-cost guard on vs off: EXPLAIN before each query)', value: cps('bastion-plan-http') / cps('bastion-http') },
    { name: 'bastion-traced-http / bastion-http (OpenTelemetry traces on, every call sampled and exported)', value: cps('bastion-traced-http') / cps('bastion-http') },
    { name: 'bastion-observed-http / bastion-http (OpenTelemetry traces, every call, and OTLP metrics on)', value: cps('bastion-observed-http') / cps('bastion-http') },
    { name: 'bastion-http / raw-pg', value: cps('bastion-http') / cps('raw-pg') },
    { name: 'bastion-stdio / raw-pg', value: cps('bastion-stdio') / cps('raw-pg') },
    { name: 'bare-http / raw-pg', value: cps('bare-http') / cps('raw-pg') },
    { name: 'bare-stdio / raw-pg', value: cps('bare-stdio') / cps('raw-pg') },
    { name: 'bastion-literal-http / bastion-http (a new statement text on every call)', value: cps('bastion-literal-http') / cps('bastion-http') },
    { name: 'bastion-literal-stdio / raw-pg', value: cps('bastion-literal-stdio') / cps('raw-pg') },
    { name: 'dbhub-stdio / raw-pg', value: cps('dbhub-stdio') / cps('raw-pg') },
    { name: 'bastion-literal-stdio-2026 / bastion-literal-stdio (2026-07-28 era vs 2025)', value: cps('bastion-literal-stdio-2026') / cps('bastion-literal-stdio') },
    { name: 'bastion-literal-http-2026 / bastion-literal-http (2026-07-28 era vs 2025)', value: cps('bastion-literal-http-2026') / cps('bastion-literal-http') },
    ...(BASELINE_ROOT === undefined
      ? []
      : [
          { name: 'bastion-http / baseline-http (this build vs BENCH_BASELINE)', value: cps('bastion-http') / cps('baseline-http') },
          { name: 'bastion-literal-http / baseline-literal-http (this build vs BENCH_BASELINE, literal constants)', value: cps('bastion-literal-http') / cps('baseline-literal-http') },
        ]),
  ];
  const cpuCost = (k) => throughput[k]?.totalCpuUsPerCall ?? Number.NaN;
  const cpuRatios = {
    httpBareOverBastion: cpuCost('bare-http') / cpuCost('bastion-http'),
    stdioBareOverBastion: cpuCost('bare-stdio') / cpuCost('bastion-stdio'),
    stdioDbhubOverBastion: cpuCost('dbhub-stdio') / cpuCost('bastion-literal-stdio'),
    httpDbhubOverBastion: cpuCost('dbhub-http') / cpuCost('bastion-literal-http'),
  };
  if (ONLY !== undefined) {
    await shutdown();
    printQuick({ throughput, ratios: ratios.filter((r) => Number.isFinite(r.value)), cpuRatios });
    if (CFG.cpuProf) printProfiles(throughput, Object.keys(throughput).filter((k) => k !== 'raw-pg'));
    return;
  }

  say('cap test');
  const bastionHttp = targets.find((t) => t.key === 'bastion-http');
  const cap = await capTest(bastionHttp);
  say('raw pg full load');
  await raw.pool.end();
  const rawFull = await rawFullLoad();

  await shutdown();
  let engines = null;
  if (CFG.engines) {
    say('engines: MySQL/MariaDB and SQLite');
    engines = await measureEngines({ concurrency: CFG.concurrency, rounds: CFG.rounds, warmupS: CFG.warmupS, measureS: CFG.measureS, say });
  }
  say('audit verify');
  const auditVerify = await measureAuditVerify(CFG.auditRecords, say);
  const report = {
    timestamp: new Date().toISOString(),
    bastionRevision: gitRevision(),
    machine: {
      nproc: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      postgres: pgVersion,
      loadAvgStart,
    },
    config: { ...CFG, pointSql: POINT_SQL, baseline: BASELINE_ROOT === undefined ? null : { root: BASELINE_ROOT, revision: gitRevision(BASELINE_ROOT) }, capSql: CAP_SQL, bastionConfig: BASTION_CONFIG_YAML, setup },
    throughput,
    ratios,
    cpuRatios,
    cap,
    raw: rawFull,
    auditVerify,
    engines,
    traceSink: { exports: traceSink.exports, bytes: traceSink.bytes },
    targets: {
      ...Object.fromEntries(ratios.filter((r) => r.key !== undefined).map((r) => [r.key, { value: r.value, target: r.target, met: r.value >= r.target }])),
      capWallMs: { value: cap.maxMs, target: 1000, met: cap.maxMs < 1000 },
      capExtraMb: { value: cap.maxExtraMb, target: 100, met: cap.maxExtraMb < 100 },
      auditVerifyMs: { value: auditVerify.verifyMs, target: 10_000, met: auditVerify.verifyMs < 10_000 },
    },
    totalSeconds: (performance.now() - started) / 1000,
  };
  // A profiled run's figures are skewed by the profiler: keep them apart from latest.json.
  report.resultsFile = join('bench', 'results', CFG.cpuProf ? 'profiled.json' : 'latest.json');
  writeFileSync(join(ROOT, report.resultsFile), `${JSON.stringify(report, null, 2)}\n`);
  printReport(report);
  if (CFG.cpuProf) printProfiles(throughput, ['bare-stdio', 'bastion-stdio', 'bare-http', 'bastion-http']);
}

/** A per-call summary of each profiled server (BENCH_CPU_PROF=1). */
function printProfiles(throughput, keys) {
  for (const key of keys) {
    if (throughput[key] === undefined) continue;
    const file = join(RESULTS_DIR, 'prof', `${key}.cpuprofile`);
    process.stdout.write(`\n== ${key}\n`);
    process.stdout.write(execFileSync(process.execPath, [join(BENCH_DIR, 'profile-summary.mjs'), file, '15', String(throughput[key].totalCalls)], { encoding: 'utf8' }));
  }
}

/** The commit Bastion was built from, plus "+dirty" when src/ has uncommitted changes (read-only git). */
function gitRevision(root = ROOT) {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

async function shutdown() {
  await Promise.allSettled(servers.map(({ server, stdio }) => stopServer(server, { stdio })));
  traceSink.server?.close();
  cleanupSync();
}

const watchdog = setTimeout(() => {
  say('bench: still running after 10 minutes; giving up');
  killAllChildren();
  process.exit(1);
}, 600_000);
watchdog.unref();

try {
  await main();
  // Keep-alive agents and the like must not hold the process open.
  process.exit(0);
} catch (error) {
  say(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await shutdown().catch(() => {});
  process.exit(1);
}
