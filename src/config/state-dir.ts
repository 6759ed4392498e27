import { dirname, isAbsolute, join, posix, resolve, win32 } from 'node:path';
import { BastionError } from '../errors/codes.js';

/** What the per-user state folder depends on, passed in so every platform's rule can be tested anywhere. */
export interface UserFacts {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home folder (os.homedir()); may be empty when the account has none. */
  homedir: string;
}

/**
 * Bastion's folder in the per-user state directory: where a server started without a
 * configuration file keeps its state, whatever its working folder (a desktop client
 * often starts it in `/`). Linux and other Unixes follow the XDG base directory spec;
 * macOS and Windows use their own per-user application folders.
 */
export function userStateDir({ platform, env, homedir }: UserFacts): string {
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    if (local !== undefined && win32.isAbsolute(local)) return win32.join(local, 'bastion');
    return win32.join(requireHome(homedir, win32), 'AppData', 'Local', 'bastion');
  }
  if (platform === 'darwin') return posix.join(requireHome(homedir, posix), 'Library', 'Application Support', 'bastion');
  // The spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env['XDG_STATE_HOME'];
  if (xdg !== undefined && posix.isAbsolute(xdg)) return posix.join(xdg, 'bastion');
  return posix.join(requireHome(homedir, posix), '.local', 'state', 'bastion');
}

/** A relative home would put state back in the working folder: refuse instead. */
function requireHome(homedir: string, paths: typeof posix): string {
  if (homedir !== '' && paths.isAbsolute(homedir)) return homedir;
  throw new BastionError(
    'CONFIG_INVALID',
    'Cannot find a per-user state folder (the account has no home folder): set BASTION_STATE_DIR to an absolute path, or use a configuration file (state goes to .bastion/ beside it).',
  );
}

/** Why the state folder is where it is: for the start-up log line and `bastion doctor`. */
export type StateDirOrigin = 'BASTION_STATE_DIR' | 'state.dir' | 'beside the configuration file' | 'per-user state directory';

export interface StateLocation {
  /** Absolute. */
  dir: string;
  from: StateDirOrigin;
}

export interface StateInputs {
  /** BASTION_STATE_DIR, when set. */
  override: string | undefined;
  /** state.dir as written in the configuration file, when written. */
  configured: string | undefined;
  /** The configuration file (absolute), when there is one. */
  configFile: string | undefined;
  user: UserFacts;
}

/**
 * The one rule every command uses to find the state folder, so `serve`, `keys`,
 * `approvals`, `audit` and `doctor` all meet in the same place: BASTION_STATE_DIR,
 * else state.dir (relative to the configuration file's folder), else `.bastion/`
 * beside the configuration file, else the per-user state directory.
 */
export function locateState({ override, configured, configFile, user }: StateInputs): StateLocation {
  if (override !== undefined && override !== '') {
    if (!isAbsolute(override)) {
      throw new BastionError('CONFIG_INVALID', `BASTION_STATE_DIR: give an absolute path (got ${JSON.stringify(override)}); a relative one would depend on the working folder.`);
    }
    return { dir: resolve(override), from: 'BASTION_STATE_DIR' };
  }
  if (configFile !== undefined) {
    const base = dirname(configFile);
    if (configured !== undefined) return { dir: resolve(base, configured), from: 'state.dir' };
    return { dir: join(base, '.bastion'), from: 'beside the configuration file' };
  }
  return { dir: userStateDir(user), from: 'per-user state directory' };
}
