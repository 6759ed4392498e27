import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
import { BastionError } from '../errors/codes.js';

/** A lookup table of environment variables: own keys only, so `${constructor}` is never Object's. */
export type Environment = Readonly<Record<string, string | undefined>>;

export interface EnvFile {
  /** The .env that was read (absolute). */
  path: string;
  /** How many variables it set that the environment did not already have. */
  applied: number;
}

/**
 * The environment the configuration is read with: the process environment, plus the
 * variables of the `.env` beside the configuration file that the environment does
 * not already set (a variable set in the shell or by the client always wins).
 *
 * Parsed with Node's own parser (the one behind process.loadEnvFile) into a new
 * object instead of being loaded into process.env: the values reach only the
 * ${VAR} interpolation of the configuration, never the environment that drivers,
 * worker threads or child processes inherit, and loading stays a pure function.
 * Only beside a configuration file: a `.env` in whatever folder a desktop client
 * starts the server in is not the project's.
 */
export function withEnvFile(env: Environment, configFile: string | undefined): { env: Environment; envFile: EnvFile | undefined } {
  const merged: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [name, value] of Object.entries(env)) merged[name] = value;
  if (configFile === undefined) return { env: merged, envFile: undefined };
  const path = join(dirname(configFile), '.env');
  const text = readIfPresent(path);
  if (text === undefined) return { env: merged, envFile: undefined };
  let applied = 0;
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (Object.hasOwn(merged, name) && merged[name] !== undefined) continue;
    merged[name] = value;
    applied++;
  }
  return { env: merged, envFile: { path, applied } };
}

function readIfPresent(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    // Its values become database URLs and keys: a file every user may rewrite could point a
    // source at another server. Checked on the open handle, after any link is followed.
    if ((fstatSync(fd).mode & 0o002) !== 0) {
      throw new BastionError('CONFIG_INVALID', `${path} is writable by every user, and its values configure this server; run chmod o-w on it (doctor checks it too).`);
    }
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if (error instanceof BastionError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Present but unreadable: running without the secrets it holds would fail later, less clearly.
    throw new BastionError('CONFIG_INVALID', `Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); fix its permissions or remove it.`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A variable's value, never an inherited property of the table. */
export function lookup(env: Environment, name: string): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}
