import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { probePostgres, PG_ADMIN_URL } from './postgres.js';

/** Says once, up front, which suites run and which are skipped and why. */
export default async function setup(): Promise<void> {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  }
  const pg = await probePostgres();
  if (pg.ok) {
    process.stderr.write(`\n[bastion tests] PostgreSQL suites: running against ${PG_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')}\n`);
    return;
  }
  if (process.env['BASTION_REQUIRE_PG'] === '1') {
    throw new Error(`BASTION_REQUIRE_PG=1 but ${pg.reason}`);
  }
  process.stderr.write(`\n[bastion tests] PostgreSQL suites: SKIPPED — ${pg.reason}. Every other suite runs on PGlite.\n`);
}
