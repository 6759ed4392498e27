import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { BastionError } from '../errors/codes.js';
import { configSchema, type BastionConfig } from './schema.js';

export interface ConfigSources {
  /** Path given with --config; when absent, ./bastion.yaml is used if present. */
  configPath?: string | undefined;
  /** The --db shortcut. */
  db?: string | undefined;
  /** The --files shortcut (repeatable): file roots added to files.roots. */
  files?: readonly string[] | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface LoadedConfig {
  config: BastionConfig;
  /** Where the configuration came from, for the start-up log line (never a secret). */
  origin: string;
}

/**
 * Reads, interpolates and validates the configuration once at start-up. Every
 * mistake is a CONFIG_INVALID error whose message names the key and the fix.
 */
export function loadConfig(options: ConfigSources = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configPath = options.configPath ?? env['BASTION_CONFIG'] ?? defaultConfigPath(cwd);
  const db = options.db ?? env['BASTION_DB'];

  let raw: Record<string, unknown> = {};
  let origin = 'built-in demo database';
  if (configPath !== undefined) {
    raw = readYaml(configPath);
    origin = configPath;
  }
  raw = interpolateEnv(raw, env, []) as Record<string, unknown>;
  if (db !== undefined) {
    raw = { ...raw, sources: { main: sourceFromUrl(db) } };
    origin = configPath !== undefined ? `${configPath} with --db` : '--db';
  } else if (raw['sources'] === undefined) {
    raw = { ...raw, sources: { demo: { engine: 'pglite' } } };
  }
  if (options.files !== undefined && options.files.length > 0) {
    const files = (raw['files'] ?? {}) as Record<string, unknown>;
    const roots = Array.isArray(files['roots']) ? (files['roots'] as unknown[]) : [];
    raw = { ...raw, files: { ...files, roots: [...roots, ...options.files] } };
  }
  const level = env['BASTION_LOG_LEVEL'];
  if (level !== undefined) {
    raw = { ...raw, log: { ...(raw['log'] as Record<string, unknown> | undefined), level } };
  }
  return { config: validate(raw), origin };
}

function defaultConfigPath(cwd: string): string | undefined {
  const candidate = `${cwd}/bastion.yaml`;
  return existsSync(candidate) ? candidate : undefined;
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

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces ${VAR} in string values; an unset variable is an error that names the key. */
function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_match, name: string) => {
      const replacement = env[name];
      if (replacement === undefined) {
        throw new BastionError(
          'CONFIG_INVALID',
          `${formatPath(path)}: environment variable ${name} is not set (referenced as \${${name}}).`,
        );
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k]);
    return out;
  }
  return value;
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
