#!/usr/bin/env node
/**
 * Side experiment (not part of `npm run bench`): how much PostgreSQL and client CPU
 * Bastion's per-call transaction wrapper costs, and what alternatives would cost.
 * Runs the bench's point lookup on 8 pg connections in this process, no MCP.
 *
 *   npm run build && node bench/wire-variants.mjs      # MS=4000 ROUNDS=2 by default
 *
 * Variants:
 *   plain                   pg's own query (Parse/Bind/Describe/Execute/Sync): 1 statement, 1 round trip
 *   bastion                 Bastion's GuardedRead from dist/ in 'single' mode: BEGIN; limits;
 *                           statement Execute(100); ROLLBACK; Sync in one write (named statements)
 *   2rt-named               the same 2 round trips, with BEGIN / limits / ROLLBACK as named
 *                           prepared statements (parsed once per connection)
 *   1rt-unnamed             BEGIN; limits; statement Execute(1001); ROLLBACK; Sync in one write
 *   1rt-named               the same, with named wrapper statements
 *   1rt-named-nolimits      the same without the set_config statement
 *
 * Note: the named statements must be parsed in their own Sync'd batch. Parsing the
 * set_config SELECT in the same batch as BEGIN ISOLATION LEVEL fails with "SET
 * TRANSACTION ISOLATION LEVEL must be called before any query".
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { GuardedRead } from '../dist/engines/postgres/guarded-read.js';
import { BEGIN_READ_ONLY, ROLLBACK, SET_LOCAL_LIMITS } from '../dist/engines/postgres-family/wire/statements.js';
import { median, pgBackendsCpu, pgCpuBetween } from './lib.mjs';

const URL = `${(process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '')}/bastion_bench`;
const SQL = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
const LIMITS = { text: SET_LOCAL_LIMITS, values: ['30000', '5000'] };
const MS = Number(process.env.MS ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const aid = () => String(1 + Math.floor(Math.random() * 1_000_000));

/** A one-write submittable that settles on ReadyForQuery (or on the first error). */
class OneShot {
  constructor(write) {
    this.write = write;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  submit(c) {
    c.stream.cork();
    this.write(c);
    c.stream.uncork();
    return null;
  }
  handleRowDescription() {}
  handleDataRow() {}
  handleCommandComplete() {}
  handlePortalSuspended() {}
  handleEmptyQuery() {}
  handleError(error) {
    this.reject(error); // pg drops the active query on an error: no ReadyForQuery follows here
  }
  handleReadyForQuery() {
    this.resolve();
  }
}
const run = (client, write) => {
  const q = new OneShot(write);
  client.query(q);
  return q.done;
};

const statement = (c, rows) => {
  c.parse({ text: SQL });
  c.bind({ values: [aid()] });
  c.describe({ type: 'P', name: '' });
  c.execute({ rows });
};

const variants = {
  plain: (client) => client.query(SQL, [aid()]),
  bastion: (client) => {
    const g = new GuardedRead({ sql: SQL, values: [aid()], maxRows: 1000, maxBytes: 1 << 20, limits: LIMITS, mode: 'single' });
    client.query(g);
    return g.done;
  },
  '2rt-named': (client) =>
    new Promise((resolve, reject) => {
      let completed = 0;
      client.query({
        submit(c) {
          c.stream.cork();
          c.bind({ statement: 'w_begin' });
          c.execute({});
          c.bind({ statement: 'w_limits', values: LIMITS.values });
          c.execute({});
          statement(c, 100);
          c.flush();
          c.stream.uncork();
          return null;
        },
        handleRowDescription() {},
        handleDataRow() {},
        handleEmptyQuery() {},
        handlePortalSuspended() {},
        handleCommandComplete(_m, c) {
          if (++completed === 3) {
            c.stream.cork();
            c.bind({ statement: 'w_rollback' });
            c.execute({});
            c.sync();
            c.stream.uncork();
          }
        },
        handleError: reject,
        handleReadyForQuery: () => resolve(),
      });
    }),
  '1rt-unnamed': (client) =>
    run(client, (c) => {
      c.parse({ text: BEGIN_READ_ONLY });
      c.bind({});
      c.execute({});
      c.parse({ text: LIMITS.text });
      c.bind({ values: LIMITS.values });
      c.execute({});
      statement(c, 1001);
      c.parse({ text: ROLLBACK });
      c.bind({});
      c.execute({});
      c.sync();
    }),
  '1rt-named': (client) =>
    run(client, (c) => {
      c.bind({ statement: 'w_begin' });
      c.execute({});
      c.bind({ statement: 'w_limits', values: LIMITS.values });
      c.execute({});
      statement(c, 1001);
      c.bind({ statement: 'w_rollback' });
      c.execute({});
      c.sync();
    }),
  '1rt-named-nolimits': (client) =>
    run(client, (c) => {
      c.bind({ statement: 'w_begin' });
      c.execute({});
      statement(c, 1001);
      c.bind({ statement: 'w_rollback' });
      c.execute({});
      c.sync();
    }),
};

const clients = [];
for (let i = 0; i < 8; i++) {
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  // The named wrapper statements, parsed once, in their own batch.
  await run(client, (c) => {
    c.parse({ name: 'w_begin', text: BEGIN_READ_ONLY });
    c.parse({ name: 'w_limits', text: LIMITS.text });
    c.parse({ name: 'w_rollback', text: ROLLBACK });
    c.sync();
  });
  clients.push(client);
}

const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, call] of Object.entries(variants)) {
    let stop = false;
    let count = 0;
    let start;
    setTimeout(() => {
      start = { at: performance.now(), pg: pgBackendsCpu('bastion_bench'), cpu: process.cpuUsage() };
      count = 0;
    }, 1000);
    setTimeout(() => (stop = true), 1000 + MS);
    await Promise.all(
      clients.map(async (client) => {
        while (!stop) {
          await call(client);
          count++;
        }
      }),
    );
    const seconds = (performance.now() - start.at) / 1000;
    const cpu = process.cpuUsage(start.cpu);
    (results[name] ??= []).push({
      callsPerSec: count / seconds,
      pgUs: (pgCpuBetween(start.pg, pgBackendsCpu('bastion_bench')) * 1000) / count,
      clientUs: (cpu.user + cpu.system) / count,
    });
    process.stderr.write(`round ${round + 1} ${name}\n`);
  }
}
for (const client of clients) await client.end();

process.stdout.write(`${'variant'.padEnd(20)} ${'calls/s'.padStart(8)} ${'PG us/call'.padStart(11)} ${'client us/call'.padStart(15)}   (medians of ${ROUNDS} rounds x ${MS} ms)\n`);
for (const [name, rs] of Object.entries(results)) {
  const m = (k) => median(rs.map((r) => r[k]));
  process.stdout.write(`${name.padEnd(20)} ${m('callsPerSec').toFixed(0).padStart(8)} ${m('pgUs').toFixed(0).padStart(11)} ${m('clientUs').toFixed(0).padStart(15)}\n`);
}
