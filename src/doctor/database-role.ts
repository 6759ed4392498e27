import type { BastionConfig } from '../config/schema.js';
import type { LoginPowers } from '../engine/login.js';
import { probeLogin } from '../engines/index.js';
import { fail, pass, warn, type Check } from './check.js';

/**
 * `database-role`: what the login role of each server source could do if every
 * other control failed. A superuser, or a member of the roles that read and write
 * server files or run programs, turns one missed SQL check into the host. Each engine
 * reads its own login's powers (src/engines/<name>/login.ts); drivers load only when
 * such a source is configured; connections are short and read-only.
 */

const FIX_PG = 'Connect as a dedicated role without SUPERUSER or the pg_*_server_* roles, granted SELECT on what the assistant needs.';
const FIX_MYSQL = 'Connect as a dedicated user granted SELECT on the needed schemas only, without FILE or ALL PRIVILEGES ON *.*.';

/** `connecting` is told each source's name before its probe (a progress line; up to 3 s each when unreachable). */
export async function checkDatabaseRoles(config: BastionConfig, connecting?: (name: string) => void): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.engine !== 'postgres' && source.engine !== 'mysql') continue;
    connecting?.(name);
    const powers = await probeLogin(source);
    checks.push(powers === undefined ? unreachable(name, source.engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB') : judge(name, powers));
    if (powers?.engine === 'postgres' && powers.tempFiles !== undefined) checks.push(judgeTempFiles(name, powers.role, powers.tempFiles));
    if (powers?.engine === 'mysql' && powers.maxAllowedPacket !== undefined) checks.push(judgeValueSize(name, powers.maxAllowedPacket));
  }
  if (checks.length > 0) return checks;
  return [pass('database-role', 'Database roles', 'No PostgreSQL or MySQL source (embedded engines have no server roles).')];
}

function unreachable(name: string, engine: string): Check {
  return warn(
    'database-role',
    `Database role of ${name}`,
    `Could not connect to the ${engine} source ${name} to check its role.`,
    'Run doctor where the database is reachable, with the same environment as the server.',
  );
}

function judge(name: string, powers: LoginPowers): Check {
  const title = `Database role of ${name}`;
  if (powers.engine === 'mysql') {
    if (powers.fileGrant) {
      return fail('database-role', title, `Source ${name} connects as a user holding FILE or ALL PRIVILEGES on *.*: it can read and write files on the database host.`, FIX_MYSQL);
    }
    return pass('database-role', title, `Source ${name}: no FILE or global ALL PRIVILEGES grant.`);
  }
  if (powers.superuser) {
    return fail('database-role', title, `Source ${name} connects as ${powers.role}, a superuser: it can read and write any file and run programs on the database host.`, FIX_PG);
  }
  if (powers.fileRoles.length > 0) {
    return fail('database-role', title, `Source ${name} connects as ${powers.role}, a member of ${powers.fileRoles.join(', ')}.`, FIX_PG);
  }
  return pass('database-role', title, `Source ${name} connects as ${powers.role}: not a superuser, no server-file roles.`);
}

/**
 * `database-temp-files`: a read-only statement can still fill the database's disk with
 * temporary files (a huge sort or hash). Bastion sets temp_file_limit per call when the
 * login may; otherwise only the role's own setting bounds it.
 */
function judgeTempFiles(name: string, role: string, facts: { settable: boolean; ownLimit: string }): Check {
  const title = `Temporary files of ${name}`;
  const quoted = /^[a-z_][a-z0-9_$]*$/.test(role) ? role : `"${role.replaceAll('"', '""')}"`;
  if (facts.settable) return pass('database-temp-files', title, `Source ${name}: Bastion sets temp_file_limit (temp_file_limit_mb) on every call.`);
  if (facts.ownLimit !== '-1') {
    return pass('database-temp-files', title, `Source ${name} connects as ${role}, whose temp_file_limit is ${facts.ownLimit} (Bastion may not set its own).`);
  }
  return fail(
    'database-temp-files',
    title,
    `Source ${name} connects as ${role}, which has no temp_file_limit and may not set one: one statement can fill the database's disk with temporary files.`,
    `Run (as a superuser) ALTER ROLE ${quoted} SET temp_file_limit = '1GB'; or on PostgreSQL 15+ GRANT SET ON PARAMETER temp_file_limit TO ${quoted} so Bastion sets temp_file_limit_mb per call.`,
  );
}

/** MySQL 8's default; MariaDB's is 16 MiB. */
const LARGE_PACKET = 64 * 1024 * 1024;

/**
 * `database-value-size`: a MySQL server builds a value up to max_allowed_packet in its own
 * memory, per connection, before anything is sent. Bastion never reads a row past the byte
 * cap (the packet gate), so this bounds the server's memory, not Bastion's: a warning.
 */
export function judgeValueSize(name: string, maxAllowedPacket: number): Check {
  const title = `Largest value of ${name}`;
  const mib = Math.round(maxAllowedPacket / (1024 * 1024));
  if (maxAllowedPacket <= LARGE_PACKET) return pass('database-value-size', title, `Source ${name}: the server builds values of at most ${mib} MiB (max_allowed_packet).`);
  return warn(
    'database-value-size',
    title,
    `Source ${name}: the server's max_allowed_packet is ${mib} MiB, so one statement makes it build a value that large in its memory, on each connection at once (Bastion reads none past the byte cap).`,
    'Lower max_allowed_packet to 64M or less in the server configuration unless your data needs more.',
  );
}
