import { accessSync, constants, lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EnvFile } from '../config/env-file.js';
import type { StateLocation } from '../config/state-dir.js';
import { parentDirProblem, parentsOf, privateDirProblem, type PrivateDirProblem } from '../util/private-file.js';
import { fail, pass, warn, type Check } from './check.js';

/**
 * `state-dir`: where keys, approvals and the audit log live, which rule chose the
 * folder, and whether serve can use it: this user must be able to write there, and
 * the folder must pass the stores' and the audit sink's own rule (privateDirProblem:
 * this user's own, closed to others' writes, symlinks followed; parentDirProblem for
 * every folder above it), or they refuse to open. The owner and parents matter for the
 * audit chains too, so they are checked even when keys and approvals live in a database.
 */
export function checkStateDir(state: StateLocation, options: { filesInFolder: boolean }): Check {
  const title = 'State folder';
  const where = `${state.dir} (${state.from})`;
  const fix = 'Set BASTION_STATE_DIR or state.dir to a folder this user can write, or fix the folder\'s permissions.';
  if (danglingLink(state.dir)) return fail('state-dir', title, `${where}: a symbolic link to a folder that does not exist.`, fix);
  const existing = nearestExisting(state.dir);
  if (existing === undefined) return fail('state-dir', title, `${where}: no part of the path exists.`, fix);
  if (!statSync(existing).isDirectory()) return fail('state-dir', title, `${where}: ${existing} is not a folder.`, fix);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    return fail('state-dir', title, `${where}: ${existing} is not writable by this user, so serve cannot keep its audit log.`, fix);
  }
  if (existing !== state.dir) {
    // Created inside `existing`: a folder there every user can write would let them move it away.
    const above = parentDirProblem(existing, statSync(existing), state.dir) ?? parentsProblem(existing);
    if (above !== undefined) return fail('state-dir', title, `${where}: ${above.reason} Bastion refuses it.`, above.fix ?? fix);
    return pass('state-dir', title, `${where}; created at the first start.`);
  }
  const what = options.filesInFolder ? 'the API keys, approvals and audit chains' : 'the audit chains';
  const problem = privateDirProblem(state.dir, statSync(state.dir), what) ?? parentsProblem(state.dir);
  if (problem !== undefined) return fail('state-dir', title, `${where}: ${problem.reason} Bastion refuses it.`, problem.fix ?? fix);
  return pass('state-dir', title, where);
}

/** parentDirProblem over the folders above `dir`, as written and as resolved, as the stores check them. */
function parentsProblem(dir: string): PrivateDirProblem | undefined {
  for (const parent of new Set([...parentsOf(dir), ...parentsOf(realpathSync(dir))])) {
    const problem = parentDirProblem(parent, statSync(parent), dir);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * `env-file`: which .env the configuration was read with. It holds secrets, so one
 * that every user of the host can read is a warning; one they can write (and so point
 * a source at their own server) fails, as a world-writable configuration file does.
 */
export function checkEnvFile(envFile: EnvFile | undefined, configFile: string | undefined): Check {
  const title = '.env file';
  if (configFile === undefined) return pass('env-file', title, 'none read: without a configuration file no .env is loaded.');
  if (envFile === undefined) return pass('env-file', title, `none: there is no .env beside ${configFile}.`);
  const detail = `loaded ${envFile.path} (${envFile.applied} variable(s) the environment did not already set; set ones are never overridden).`;
  let mode: number;
  try {
    mode = statSync(envFile.path).mode & 0o777;
  } catch {
    return pass('env-file', title, detail);
  }
  const shown = mode.toString(8).padStart(4, '0');
  if ((mode & 0o002) !== 0) {
    return fail('env-file', title, `${detail} Every user of the host can change it (mode ${shown}).`, `chmod 600 ${envFile.path}`);
  }
  if ((mode & 0o004) !== 0) {
    return warn('env-file', title, `${detail} It is readable by every user of the host (mode ${shown}).`, `chmod 600 ${envFile.path}`);
  }
  return pass('env-file', title, detail);
}

/** A symlink whose target is missing: serve's mkdir fails on it (ENOENT), so doctor must not call it "created at the first start". */
function danglingLink(path: string): boolean {
  try {
    lstatSync(path);
  } catch {
    return false;
  }
  try {
    statSync(path);
    return false;
  } catch {
    return true;
  }
}

/** The folder itself, or the closest parent that exists (where it would be created). */
function nearestExisting(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    try {
      statSync(current);
      return current;
    } catch {
      if (dirname(current) === current) return undefined;
    }
  }
}
