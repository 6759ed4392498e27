/**
 * The MySQL/MariaDB, SQLite and PGlite engines in the benchmark: for each engine, a point
 * lookup `SELECT abalance FROM accounts WHERE aid = ?` ($1 on PGlite) with a random aid, through the
 * raw driver in this process and through Bastion over Streamable HTTP, interleaved
 * over rounds with the order rotated each round (as bench/run.mjs does for PostgreSQL).
 *
 *   mysql   raw: a mysql2/promise pool of `concurrency` connections, `execute` (a
 *           server-side prepared statement); data: database bastion_bench on
 *           BENCH_MYSQL_URL [mysql://root@127.0.0.1:3306], table accounts with
 *           100,000 rows, made once and reused while its count is right.
 *   sqlite  raw: a better-sqlite3 prepared statement `.get(aid)` called from
 *           `concurrency` async workers. The driver is synchronous, so this is the
 *           single-thread ceiling of SQLite plus the driver, not a concurrent pool;
 *           data: the same table in a temp file, made on every run.
 *   pglite  raw: one PGlite instance in this process, `query` with $1 (PGlite runs one
 *           statement at a time: `concurrency` async workers queue on it); data: the
 *           same table in a PGlite data directory made on every run and copied, so
 *           the raw instance and Bastion each open their own (PGlite locks a directory
 *           to one process).
 *   bastion node dist/cli/main.js serve --db … --http --no-auth --port 0, in a temp cwd
 *           whose bastion.yaml only raises rate_limits.per_principal_per_minute and
 *           limits.max_in_flight_per_principal out of reach (the run.mjs configuration);
 *           `concurrency` HTTP sessions call `query`.
 *
 * An engine whose server cannot be reached (or whose data cannot be made) is skipped
 * with a reason instead of failing the run. Temp folders and server children are
 * removed on return, on errors and on process exit.
 *
 * Standalone:
 *   node -e "import('./bench/engines.mjs').then(m => m.measureEngines({concurrency: 8,
 *     rounds: 1, warmupS: 1, measureS: 2, say: console.error}))
 *     .then(r => console.log(JSON.stringify(r, null, 2)))"
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { PGlite } from '@electric-sql/pglite';
import mysql from 'mysql2/promise';
import { HttpSession, cpuMsOf, createAgent, median, percentile, spawnServer, stopServer } from './lib.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH_DIR, '..');

const ROWS = 100_000;
const DB = 'bastion_bench';
const POINT_SQL = 'SELECT abalance FROM accounts WHERE aid = ?';
const PG_POINT_SQL = 'SELECT abalance FROM accounts WHERE aid = $1';
const MYSQL_BASE = (process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
const randomAid = () => 1 + Math.floor(Math.random() * ROWS);
/** A value per aid that the sanity check can compare across raw and Bastion. */
const balanceOf = (aid) => (aid * 7919) % 100_003;

const BASTION_CONFIG_YAML = `# written by bench/engines.mjs; the source comes from --db
rate_limits:
  per_principal_per_minute: 1000000000
limits:
  max_in_flight_per_principal: 64
`;

// ---------------------------------------------------------------- cleanup

const tempDirs = new Set();
const liveServers = new Set();
function cleanupSync() {
  for (const { child } of liveServers) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveServers.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', cleanupSync);

function tempDir(prefix) {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function childEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('BASTION_')) delete env[key];
  return env;
}

// ---------------------------------------------------------------- data

function mysqlUrl(db) {
  return db ? `${MYSQL_BASE}/${db}` : MYSQL_BASE;
}

/** Creates bastion_bench.accounts with ROWS rows unless it is already there; returns the server version. */
async function ensureMysqlData(say) {
  const conn = await mysql.createConnection({ uri: mysqlUrl(), connectTimeout: 3000 });
  try {
    const [[{ version }]] = await conn.query('SELECT VERSION() AS version');
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
    await conn.query(`USE ${DB}`);
    let count = -1;
    try {
      const [[row]] = await conn.query('SELECT count(*) AS n FROM accounts');
      count = Number(row.n);
    } catch {
      // table missing
    }
    if (count === ROWS) {
      say(`mysql: ${DB}.accounts already has ${count} rows; skipping the load`);
      return { version, loaded: false, loadMs: 0 };
    }
    say(`mysql: loading ${ROWS} rows into ${DB}.accounts`);
    const t0 = performance.now();
    await conn.query('DROP TABLE IF EXISTS accounts');
    await conn.query('CREATE TABLE accounts (aid INT PRIMARY KEY, abalance INT NOT NULL, filler CHAR(84))');
    const batch = 5000;
    for (let start = 1; start <= ROWS; start += batch) {
      const values = [];
      for (let aid = start; aid < start + batch && aid <= ROWS; aid++) values.push([aid, balanceOf(aid), '']);
      await conn.query('INSERT INTO accounts (aid, abalance, filler) VALUES ?', [values]);
    }
    await conn.query('ANALYZE TABLE accounts');
    return { version, loaded: true, loadMs: performance.now() - t0 };
  } finally {
    await conn.end().catch(() => {});
  }
}

/** A fresh SQLite file with the same table and rows; returns its path. */
function makeSqliteFile(say) {
  const file = join(tempDir('bastion-bench-sqlite-data-'), 'bench.db');
  say(`sqlite: writing ${ROWS} rows to ${file}`);
  const t0 = performance.now();
  const db = new Database(file);
  try {
    db.exec('CREATE TABLE accounts (aid INT PRIMARY KEY, abalance INT NOT NULL, filler CHAR(84))');
    const insert = db.prepare('INSERT INTO accounts (aid, abalance, filler) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let aid = 1; aid <= ROWS; aid++) insert.run(aid, balanceOf(aid), '');
    })();
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
  return { file, version: sqliteVersion(), loadMs: performance.now() - t0 };
}

/** Two PGlite data directories with the same table and rows (made once, then copied); returns their paths. */
async function makePgliteDirs(say) {
  const raw = join(tempDir('bastion-bench-pglite-data-'), 'raw');
  say(`pglite: writing ${ROWS} rows to ${raw}`);
  const t0 = performance.now();
  const db = new PGlite(raw);
  let version;
  try {
    await db.exec('CREATE TABLE accounts (aid int PRIMARY KEY, abalance int NOT NULL, filler char(84))');
    await db.exec(`INSERT INTO accounts SELECT g, (g * 7919) % 100003, '' FROM generate_series(1, ${ROWS}) AS g`);
    await db.exec('ANALYZE accounts');
    version = (await db.query('SHOW server_version')).rows[0].server_version;
  } finally {
    await db.close();
  }
  const served = join(dirname(raw), 'served');
  cpSync(raw, served, { recursive: true });
  return { raw, served, version, loadMs: performance.now() - t0 };
}

async function pgliteRawTarget(dir, concurrency) {
  const db = new PGlite(dir);
  await db.waitReady;
  const lookup = (aid) => db.query(PG_POINT_SQL, [aid]);
  return {
    key: 'pglite-raw',
    workers: Array.from({ length: concurrency }, () => () => lookup(randomAid())),
    check: (r) => r.rows.length === 1 && typeof r.rows[0].abalance === 'number',
    one: async (aid) => (await lookup(aid)).rows[0].abalance,
    close: () => db.close(),
  };
}

function sqliteVersion() {
  const db = new Database(':memory:');
  try {
    return db.prepare('SELECT sqlite_version() AS v').get().v;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- targets

async function startBastion(name, dbArg) {
  const cwd = tempDir(`bastion-bench-${name}-`);
  writeFileSync(join(cwd, 'bastion.yaml'), BASTION_CONFIG_YAML);
  const args = [join(ROOT, 'dist/cli/main.js'), 'serve', '--config', join(cwd, 'bastion.yaml'), '--db', dbArg, '--http', '--no-auth', '--port', '0'];
  const server = spawnServer({ name, args, readyMsg: 'bastion serving over HTTP', cwd, env: childEnv() });
  liveServers.add(server);
  const ready = await server.ready;
  return { server, url: ready.url };
}

/** `concurrency` HTTP sessions on one keep-alive agent, each a worker calling `query`. */
async function bastionTarget(key, dbArg, concurrency, pointSql = POINT_SQL) {
  const { server, url } = await startBastion(key, dbArg);
  const agent = createAgent(concurrency);
  const sessions = [];
  for (let i = 0; i < concurrency; i++) {
    const session = new HttpSession(url, agent, undefined);
    await session.initialize();
    sessions.push(session);
  }
  const lookup = (session, aid) => session.callTool('query', { sql: pointSql, params: [aid] });
  return {
    key,
    pid: server.child.pid,
    workers: sessions.map((session) => () => lookup(session, randomAid())),
    check: (r) => {
      const rows = r.structuredContent?.rows;
      return Array.isArray(rows) && rows.length === 1 && typeof rows[0][0] === 'number';
    },
    one: async (aid) => (await lookup(sessions[0], aid)).structuredContent.rows[0][0],
    close: async () => {
      agent.destroy();
      await stopServer(server, { stdio: false });
      liveServers.delete(server);
    },
  };
}

function mysqlRawTarget(concurrency) {
  const pool = mysql.createPool({ uri: mysqlUrl(DB), connectionLimit: concurrency, maxIdle: concurrency });
  const lookup = (aid) => pool.execute(POINT_SQL, [aid]);
  return {
    key: 'mysql-raw',
    workers: Array.from({ length: concurrency }, () => () => lookup(randomAid())),
    check: ([rows]) => rows.length === 1 && typeof rows[0].abalance === 'number',
    one: async (aid) => (await lookup(aid))[0][0].abalance,
    close: () => pool.end(),
  };
}

function sqliteRawTarget(file, concurrency) {
  const db = new Database(file, { readonly: true });
  const stmt = db.prepare(POINT_SQL);
  // Synchronous: each "worker" runs the lookup inline; the await in measure() only hops a microtask.
  return {
    key: 'sqlite-raw',
    workers: Array.from({ length: concurrency }, () => () => stmt.get(randomAid())),
    check: (row) => row !== undefined && typeof row.abalance === 'number',
    one: async (aid) => stmt.get(aid).abalance,
    close: async () => db.close(),
  };
}

// ---------------------------------------------------------------- measuring

/**
 * `target.workers` run in a loop for warm-up + measure; latencies of calls that end
 * inside the measured window count. The window is kept by reading the clock in the
 * loop, not by timers: a synchronous driver (better-sqlite3) only ever yields to
 * microtasks, so timers would never fire while it runs. Every YIELD_EVERY calls a
 * worker yields to the event loop so the process stays responsive (signals, I/O).
 */
const YIELD_EVERY = 256;
async function measure(target, warmupMs, measureMs) {
  const latencies = [];
  let errors = 0;
  let firstError;
  const t0 = performance.now();
  const start = t0 + warmupMs;
  const end = start + measureMs;
  let stop = false;
  let cpuStart;
  let cpuEnd;
  await Promise.all(
    target.workers.map(async (call) => {
      let n = 0;
      while (!stop) {
        if (++n % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
        const a = performance.now();
        if (a >= start && cpuStart === undefined) cpuStart = cpuSnap(target.pid);
        if (a >= end) {
          cpuEnd ??= cpuSnap(target.pid);
          break;
        }
        try {
          const result = await call();
          if (!target.check(result)) throw new Error(`unexpected result: ${JSON.stringify(result).slice(0, 200)}`);
        } catch (error) {
          errors++;
          firstError ??= error;
          if (errors > 100) stop = true;
          continue;
        }
        const b = performance.now();
        if (a >= start && b <= end) latencies.push(b - a);
      }
    }),
  );
  if (errors > 100) throw new Error(`${target.key}: too many errors; first: ${firstError?.message}`);
  latencies.sort((x, y) => x - y);
  // Calls that started in the window and ended in it, over the window's length
  // (calls straddling an edge are left out at both edges, so the rate is not biased).
  return {
    calls: latencies.length,
    callsPerSec: latencies.length / (measureMs / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    firstError: firstError?.message,
    ...cpuPerCall(cpuStart, cpuEnd, latencies.length),
  };
}

/** CPU ms of a process and its direct children (Bastion plus its SQLite worker). */
function treeCpuMs(pid) {
  let ms = cpuMsOf(pid);
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        ms += cpuMsOf(child);
      } catch {
        // gone
      }
    }
  } catch {
    // no children file (kernel without CONFIG_PROC_CHILDREN): the process alone
  }
  return ms;
}

function cpuSnap(pid) {
  const own = process.cpuUsage();
  return { at: performance.now(), ownMs: (own.user + own.system) / 1000, serverMs: pid ? treeCpuMs(pid) : 0 };
}

/**
 * CPU microseconds per call between the window's edges: `server` is the Bastion
 * process tree, `client` this process (for raw targets, the driver itself). The
 * database server's CPU is not counted (MariaDB's threads are not per connection
 * processes as PostgreSQL's are). Approximate: the window's edges are read by
 * whichever worker gets there first, and /proc counts in 10 ms ticks.
 */
function cpuPerCall(a, b, calls) {
  if (!a || !b || calls === 0) return { serverCpuUsPerCall: null, clientCpuUsPerCall: null };
  return {
    serverCpuUsPerCall: a.serverMs || b.serverMs ? ((b.serverMs - a.serverMs) * 1000) / calls : null,
    clientCpuUsPerCall: ((b.ownMs - a.ownMs) * 1000) / calls,
  };
}

const summarize = (rounds) => ({
  callsPerSec: median(rounds.map((r) => r.callsPerSec)),
  p50Ms: median(rounds.map((r) => r.p50Ms)),
  p99Ms: median(rounds.map((r) => r.p99Ms)),
  callsPerSecRounds: rounds.map((r) => Math.round(r.callsPerSec)),
  serverCpuUsPerCall: rounds.some((r) => r.serverCpuUsPerCall !== null) ? median(rounds.map((r) => r.serverCpuUsPerCall)) : null,
  clientCpuUsPerCall: median(rounds.map((r) => r.clientCpuUsPerCall)),
  errors: rounds.reduce((a, r) => a + r.errors, 0),
});

// ---------------------------------------------------------------- entry

/**
 * Returns { mysql: { raw, bastion, ratio, server, setup } | { skipped }, sqlite: … }:
 * raw and bastion are { callsPerSec, p50Ms, p99Ms, callsPerSecRounds, serverCpuUsPerCall,
 * clientCpuUsPerCall, errors }
 * (medians over rounds), ratio is bastion / raw calls/s.
 */
export async function measureEngines({ concurrency, rounds, warmupS, measureS, say = () => {} }) {
  // Standalone use: stop our children and remove our temp folders on Ctrl-C / SIGTERM.
  // Inside run.mjs its own handlers exit the process, and the 'exit' hook above cleans up.
  const signalHandlers = [];
  for (const signal of ['SIGINT', 'SIGTERM']) {
    if (process.listenerCount(signal) > 0) continue;
    const handler = () => {
      process.stderr.write(`\nbench engines: ${signal}, stopping the servers\n`);
      cleanupSync();
      process.exit(130);
    };
    process.on(signal, handler);
    signalHandlers.push([signal, handler]);
  }

  const result = {};
  const pairs = []; // { engine, raw, bastion }
  const targets = [];
  try {
    // -- MySQL / MariaDB
    let mysqlSetup;
    try {
      mysqlSetup = await ensureMysqlData(say);
    } catch (error) {
      result.mysql = { skipped: `MySQL/MariaDB not reachable or not writable at ${MYSQL_BASE} (${error.message})` };
      say(`bench engines: skipping mysql: ${result.mysql.skipped}`);
    }
    if (mysqlSetup) {
      const raw = mysqlRawTarget(concurrency);
      targets.push(raw);
      const bastion = await bastionTarget('mysql-bastion-http', mysqlUrl(DB), concurrency);
      targets.push(bastion);
      pairs.push({ engine: 'mysql', raw, bastion, info: { server: mysqlSetup.version, setup: { loaded: mysqlSetup.loaded, loadMs: mysqlSetup.loadMs } } });
    }

    // -- SQLite
    let sqliteFile;
    try {
      sqliteFile = makeSqliteFile(say);
    } catch (error) {
      result.sqlite = { skipped: `cannot make the SQLite file (${error.message})` };
      say(`bench engines: skipping sqlite: ${result.sqlite.skipped}`);
    }
    if (sqliteFile) {
      const raw = sqliteRawTarget(sqliteFile.file, concurrency);
      targets.push(raw);
      const bastion = await bastionTarget('sqlite-bastion-http', `sqlite:${sqliteFile.file}`, concurrency);
      targets.push(bastion);
      pairs.push({ engine: 'sqlite', raw, bastion, info: { server: `SQLite ${sqliteFile.version}`, setup: { loaded: true, loadMs: sqliteFile.loadMs } } });
    }

    // -- PGlite (the embedded engine of the demo)
    let pgliteDirs;
    try {
      pgliteDirs = await makePgliteDirs(say);
    } catch (error) {
      result.pglite = { skipped: `cannot make the PGlite data directory (${error.message})` };
      say(`bench engines: skipping pglite: ${result.pglite.skipped}`);
    }
    if (pgliteDirs) {
      const raw = await pgliteRawTarget(pgliteDirs.raw, concurrency);
      targets.push(raw);
      const bastion = await bastionTarget('pglite-bastion-http', `pglite:${pgliteDirs.served}`, concurrency, PG_POINT_SQL);
      targets.push(bastion);
      pairs.push({ engine: 'pglite', raw, bastion, info: { server: `PGlite (PostgreSQL ${pgliteDirs.version})`, setup: { loaded: true, loadMs: pgliteDirs.loadMs } } });
    }

    // Sanity: one call of each, same aid through the raw driver and Bastion, before anything is timed.
    for (const { engine, raw, bastion } of pairs) {
      const aid = randomAid();
      const [a, b] = [await raw.one(aid), await bastion.one(aid)];
      if (a !== balanceOf(aid) || b !== a) throw new Error(`${engine}: sanity check for aid ${aid}: raw ${a}, bastion ${b}, expected ${balanceOf(aid)}`);
      for (const t of [raw, bastion]) {
        const r = await t.workers[0]();
        if (!t.check(r)) throw new Error(`${t.key}: unexpected result ${JSON.stringify(r).slice(0, 300)}`);
      }
    }

    const perRound = Object.fromEntries(targets.map((t) => [t.key, []]));
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const r = await measure(t, warmupS * 1000, measureS * 1000);
        perRound[t.key].push(r);
        say(
          `round ${round + 1}/${rounds}  ${t.key.padEnd(19)} ${Math.round(r.callsPerSec).toString().padStart(6)} calls/s  ` +
            `p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms${r.errors ? `  errors ${r.errors}: ${r.firstError}` : ''}`,
        );
      }
    }

    for (const { engine, raw, bastion, info } of pairs) {
      const r = summarize(perRound[raw.key]);
      const b = summarize(perRound[bastion.key]);
      result[engine] = { raw: r, bastion: b, ratio: b.callsPerSec / r.callsPerSec, ...info };
    }
    return { mysql: result.mysql, sqlite: result.sqlite, pglite: result.pglite, config: { rows: ROWS, pointSql: POINT_SQL, concurrency, rounds, warmupS, measureS, bastionConfig: BASTION_CONFIG_YAML } };
  } finally {
    await Promise.allSettled(targets.map((t) => t.close()));
    cleanupSync();
    for (const [signal, handler] of signalHandlers) process.off(signal, handler);
  }
}
