import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CHAINS_DIR } from '../audit/chains.js';
import type { BastionConfig } from '../config/schema.js';
import { fail, pass, warn, type Check } from './check.js';

/** Files in state.dir and the audit folder that hold keys, approvals or the audit trail. */
const PRIVATE_FILE = /^(?:api-keys\.json|approvals\.json|audit[^/]*)$/;

const WORLD_WRITE = 0o002;
const WORLD_READ = 0o004;

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** The folders of the audit chains, one per server instance. */
function chainDirs(auditDir: string): string[] {
  try {
    return readdirSync(join(auditDir, CHAINS_DIR), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(auditDir, CHAINS_DIR, entry.name));
  } catch {
    return [];
  }
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * `file-permissions`: who else on the host can read or change the configuration
 * and the state. A world-writable config lets anyone rewrite the policy; a readable
 * key or approval file, or a writable audit file, undoes what it protects.
 */
export function checkFilePermissions(config: BastionConfig, configFile: string | undefined): Check[] {
  const checks: Check[] = [];
  const title = 'File permissions';
  if (configFile !== undefined) {
    const mode = modeOf(configFile);
    if (mode !== undefined && (mode & WORLD_WRITE) !== 0) {
      checks.push(fail('file-permissions', title, `${configFile} is world-writable (${octal(mode)}): anyone on the host can change the policy.`, `chmod 600 ${configFile}`));
    } else if (mode !== undefined && (mode & WORLD_READ) !== 0) {
      checks.push(warn('file-permissions', title, `${configFile} is world-readable (${octal(mode)}).`, `chmod 600 ${configFile}`));
    }
  }
  const auditDir = resolve(config.audit.dir ?? config.state.dir);
  const dirs = [...new Set([resolve(config.state.dir), auditDir, ...chainDirs(auditDir)])];
  for (const dir of dirs) {
    const dirMode = modeOf(dir);
    if (dirMode === undefined) continue;
    const exposed = readdirSync(dir)
      .filter((name) => PRIVATE_FILE.test(name))
      .map((name) => ({ name, mode: modeOf(join(dir, name)) }))
      .filter((f): f is { name: string; mode: number } => f.mode !== undefined && (f.mode & (WORLD_READ | WORLD_WRITE)) !== 0);
    if (exposed.length > 0) {
      checks.push(
        fail(
          'file-permissions',
          title,
          `${exposed.map((f) => `${join(dir, f.name)} (${octal(f.mode)})`).join(', ')}: readable or writable by every user of the host.`,
          `chmod 600 ${exposed.map((f) => join(dir, f.name)).join(' ')}`,
        ),
      );
    }
    if (dirMode !== 0o700) {
      checks.push(warn('file-permissions', title, `${dir} has mode ${octal(dirMode)}, not 0700.`, `chmod 700 ${dir}`));
    }
  }
  if (checks.length > 0) return checks;
  return [pass('file-permissions', title, 'The configuration and the state files are private to their owner.')];
}
