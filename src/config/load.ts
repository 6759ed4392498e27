import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { BastionError } from '../errors/codes.js';
import { lookup, withEnvFile, type EnvFile, type Environment } from './env-file.js';
import { interpolateEnv, type MissingVariable } from './interpolate.js';
import { resolveConfigPaths } from './paths.js';
import { pinRealPath } from './real-path.js';
import { configSchema, type BastionConfig } from './schema.js';
import { resolveMetricsExport, resolveTelemetry } from './telemetry.js';
import { locateState, type StateLocation, type UserFacts } from './state-dir.js';

/** A top-level section of bastion.yaml. */
export type ConfigSection = keyof z.input<typeof configSchema>;

export interface ConfigSources {
  /** Path given with --config; when absent, ./bastion.yaml is used if present. */
  configPath?: string | undefined;
  /** The --db shortcut. */
  db?: string | undefined;
  /** The --files shortcut (repeatable): file roots added to files.roots. */
  files?: readonly string[] | undefined;
  /**
   * The sections the caller uses (default: all). A ${VAR} left unset in any other
   * section is not an error: that section is left out and takes its defaults, so
   * `bastion keys` runs without the database password.
   */
  sections?: readonly ConfigSection[] | undefined;
  env?: Environment;
  cwd?: string;
  /** Where the per-user state directory is; default: this machine and user. */
  user?: Omit<UserFacts, 'env'>;
}

export interface LoadedConfig {
  /** Every path in it is absolute: nothing later depends on the working folder. */
  config: BastionConfig;
  /** Where the configuration came from, for the start-up log line (never a secret). */
  origin: string;
  /** The configuration file (absolute), when there is one. */
  configFile: string | undefined;
  /** The .env read beside the configuration file, when there is one. */
  envFile: EnvFile | undefined;
  /** The state folder and which rule chose it. */
  state: StateLocation;
}

/**
 * Reads, interpolates and validates the configuration once at start-up. Every
 * mistake is a CONFIG_INVALID error whose message names the key and the fix.
 */
export function loadConfig(options: ConfigSources = {}): LoadedConfig {
  const cwd = resolve(options.cwd ?? process.cwd());
  const processEnv = options.env ?? process.env;
  const given = options.configPath ?? lookup(processEnv, 'BASTION_CONFIG');
  // Typed in a shell, so relative to the working folder; absolute from here on.
  const configFile = given !== undefined ? resolve(cwd, given) : defaultConfigPath(cwd);
  const { env, envFile } = withEnvFile(processEnv, configFile);
  const db = options.db ?? lookup(env, 'BASTION_DB');

  let raw: Record<string, unknown> = {};
  let origin = 'built-in demo database';
  if (configFile !== undefined) {
    raw = interpolateSections(readYaml(configFile), env, options.sections, join(dirname(configFile), '.env'));
    origin = configFile;
  }
  if (db !== undefined) {
    raw = { ...raw, sources: { main: shortcutSource(db, cwd) } };
    origin = configFile !== undefined ? `${configFile} with --db` : '--db';
  } else if (raw['sources'] === undefined) {
    raw = { ...raw, sources: { demo: { engine: 'pglite' } } };
  }
  if (options.files !== undefined && options.files.length > 0) {
    const files = (raw['files'] ?? {}) as Record<string, unknown>;
    const roots = Array.isArray(files['roots']) ? (files['roots'] as unknown[]) : [];
    raw = { ...raw, files: { ...files, roots: [...roots, ...options.files.map((dir) => resolve(cwd, dir))] } };
  }
  const level = lookup(env, 'BASTION_LOG_LEVEL');
  if (level !== undefined) {
    raw = { ...raw, log: { ...(raw['log'] as Record<string, unknown> | undefined), level } };
  }
  const validated = validate(raw);
  const rawState = raw['state'] as Record<string, unknown> | undefined;
  const state = locateState({
    override: lookup(env, 'BASTION_STATE_DIR'),
    configured: typeof rawState?.['dir'] === 'string' ? rawState['dir'] : undefined,
    configFile,
    user: { platform: options.user?.platform ?? process.platform, homedir: options.user?.homedir ?? homedirOrEmpty(), env },
  });
  // Without a file, only the shortcuts carry paths, and they are absolute already.
  const base = configFile === undefined ? cwd : dirname(configFile);
  const located = resolveConfigPaths({ ...validated, state: { ...validated.state, dir: state.dir } }, base);
  const config: BastionConfig = {
    ...located,
    state: { ...located.state, dir: pinRealPath(located.state.dir) },
    audit: located.audit.dir === undefined ? located.audit : { ...located.audit, dir: pinRealPath(located.audit.dir) },
    tracing: resolveTelemetry(located.telemetry, env),
    metricsExport: resolveMetricsExport(located.telemetry, env),
  };
  return { config, origin, configFile, envFile, state: { ...state, dir: config.state.dir } };
}

function defaultConfigPath(cwd: string): string | undefined {
  const candidate = join(cwd, 'bastion.yaml');
  return existsSync(candidate) ? candidate : undefined;
}

/** os.homedir() throws when the account has no passwd entry; locateState then asks for BASTION_STATE_DIR. */
function homedirOrEmpty(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}

/**
 * Interpolates each top-level section. An unset variable in a section the caller
 * uses stops the start, naming every such key; in another section it only leaves
 * that section out, so it takes its defaults.
 */
function interpolateSections(raw: Record<string, unknown>, env: Environment, sections: readonly ConfigSection[] | undefined, envPath: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fatal: MissingVariable[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const missing: MissingVariable[] = [];
    const interpolated = interpolateEnv(value, env, [key], missing);
    if (missing.length === 0) {
      Object.defineProperty(out, key, { value: interpolated, enumerable: true, writable: true, configurable: true });
    } else if (sections === undefined || (sections as readonly string[]).includes(key)) {
      fatal.push(...missing);
    }
  }
  if (fatal.length > 0) {
    const lines = fatal
      .slice(0, 10)
      .map((m) => `${formatPath(m.path)}: environment variable ${m.name} is not set (referenced as \${${m.name}}); set it in the environment or in ${envPath}.`);
    throw new BastionError('CONFIG_INVALID', lines.join('\n'));
  }
  return out;
}

/** The --db shortcut, with a file path made absolute against the folder it was typed in. */
function shortcutSource(url: string, cwd: string): Record<string, unknown> {
  const source = sourceFromUrl(url);
  return typeof source['path'] === 'string' ? { ...source, path: resolve(cwd, source['path']) } : source;
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BastionError('CONFIG_INVALID', `Cannot read the configuration file ${path}.`);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new BastionError('CONFIG_INVALID', `${path}: YAML error: ${first?.message ?? 'unknown'}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BastionError('CONFIG_INVALID', `${path}: the top level must be a mapping of settings.`);
  }
  return value as Record<string, unknown>;
}

/** The --db shortcut: a URL becomes a single source named `main`. */
export function sourceFromUrl(url: string): Record<string, unknown> {
  if (/^postgres(ql)?:\/\//i.test(url)) return { engine: 'postgres', url };
  if (/^pglite:/i.test(url)) {
    const path = url.slice('pglite:'.length);
    return path.length > 0 ? { engine: 'pglite', path } : { engine: 'pglite' };
  }
  // The driver speaks one protocol to both servers; it tells them apart once connected.
  if (/^(mysql|mariadb):\/\//i.test(url)) return { engine: 'mysql', url: url.replace(/^mariadb:/i, 'mysql:') };
  if (/^sqlite:/i.test(url)) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new BastionError('CONFIG_INVALID', '--db: sqlite: needs a file path, e.g. sqlite:./data.db.');
    return { engine: 'sqlite', path };
  }
  throw new BastionError('CONFIG_INVALID', '--db: expected a URL starting with postgres://, postgresql://, mysql://, mariadb://, sqlite: or pglite:.');
}

function validate(raw: unknown): BastionConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 10).map(describeIssue);
  throw new BastionError('CONFIG_INVALID', `Invalid configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (check the spelling; unknown keys are never ignored)`;
    case 'invalid_value':
      return `${where}: must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`;
    case 'invalid_union':
      return `${where}: ${issue.message} (for a source, set engine to "postgres", "pglite", "mysql" or "sqlite")`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}
