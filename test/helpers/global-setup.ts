import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { probePostgres, PG_ADMIN_URL } from './postgres.js';
import { ping, REDIS_URL } from './redis.js';

/** Says once, up front, which suites run and which are skipped and why. */
export default async function setup(): Promise<void> {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  }
  const pg = await probePostgres();
  if (pg.ok) {
    process.stderr.write(`\n[bastion tests] PostgreSQL suites: running against ${PG_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')}\n`);
  } else if (process.env['BASTION_REQUIRE_PG'] === '1') {
    throw new Error(`BASTION_REQUIRE_PG=1 but ${pg.reason}`);
  } else {
    process.stderr.write(`\n[bastion tests] PostgreSQL suites: SKIPPED — ${pg.reason}. Every other suite runs on PGlite.\n`);
  }
  process.stderr.write(`[bastion tests] MariaDB suites: ${await import('./mariadb.js').then(({ mariadb: m }) => (m.ok ? `running against ${m.version}` : `SKIPPED — ${m.reason}`))}\n`);
  const redis = new URL(REDIS_URL);
  if (await ping(redis.hostname, Number(redis.port || 6379))) {
    process.stderr.write(`[bastion tests] Redis suites: running against ${redis.host}\n`);
  } else if (process.env['BASTION_REQUIRE_REDIS'] === '1') {
    throw new Error(`BASTION_REQUIRE_REDIS=1 but Redis did not answer at ${redis.host}`);
  } else {
    process.stderr.write(`[bastion tests] Redis suites: SKIPPED — Redis did not answer PING at ${redis.host}.\n`);
  }
}
