import type { Command } from 'commander';
import { openApiKeyStore } from '../auth/api-keys/open.js';
import { parseKeyLifetime } from '../auth/api-keys/duration.js';
import { knownRoles } from '../authorize/roles.js';
import type { ApiKeyRecord, ApiKeyStore } from '../auth/api-keys/store.js';
import { loadConfig } from '../config/load.js';
import type { BastionConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import { createLogger } from '../log/logger.js';

interface KeysOptions {
  config?: string;
}

interface CreateOptions extends KeysOptions {
  name: string;
  role: string;
  expires?: string;
}

/**
 * `bastion keys create|list|revoke`. A new key goes to stdout exactly once (so
 * `KEY=$(bastion keys create …)` works) and everything else to stderr; no command
 * ever prints a stored hash.
 */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('Create, list and revoke API keys for HTTP clients')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)');

  keys
    .command('create')
    .description('Create an API key and print it once')
    .requiredOption('--name <name>', 'who or what the key is for')
    .requiredOption('--role <role>', 'reader, writer, admin, approver, auditor or a role from the configuration')
    .option('--expires <lifetime>', 'lifetime such as 30m, 12h or 90d (default: no expiry)')
    .action(async (_options: CreateOptions, command: Command) => {
      await createKey(command.optsWithGlobals<CreateOptions>());
    });

  keys
    .command('list')
    .description('List API keys (never the keys themselves)')
    .action(async (_options: KeysOptions, command: Command) => {
      await withStore(configFor(command.optsWithGlobals<KeysOptions>()), async (store) => {
        process.stdout.write(formatKeyTable(await store.list()));
      });
    });

  keys
    .command('revoke')
    .description('Revoke an API key; running servers refuse it within 5 seconds')
    .argument('<id>', 'the key id, as shown by keys list')
    .action(async (id: string, _options: KeysOptions, command: Command) => {
      await withStore(configFor(command.optsWithGlobals<KeysOptions>()), async (store) => {
        if (!(await store.revoke(id))) {
          throw new BastionError('INVALID_ARGUMENT', `No API key has the id ${JSON.stringify(id)} in ${store.location}.`);
        }
        process.stdout.write(`Revoked ${id}. Running servers refuse it within 5 seconds.\n`);
      });
    });
}

async function createKey(options: CreateOptions): Promise<void> {
  const config = configFor(options);
  // Checked before the store is opened, so a mistake leaves no trace on disk.
  const roles = knownRoles(config);
  if (!roles.has(options.role)) {
    throw new BastionError('INVALID_ARGUMENT', `--role: unknown role ${JSON.stringify(options.role)}; use one of ${[...roles].join(', ')}.`);
  }
  let expiresAt: Date | undefined;
  if (options.expires !== undefined) {
    try {
      expiresAt = new Date(Date.now() + parseKeyLifetime(options.expires));
    } catch (error) {
      throw new BastionError('INVALID_ARGUMENT', `--expires: ${(error as Error).message}.`);
    }
  }
  await withStore(config, async (store) => {
    let created;
    try {
      created = await store.create({ name: options.name, role: options.role, expiresAt });
    } catch (error) {
      if (error instanceof TypeError) throw new BastionError('INVALID_ARGUMENT', `--name: ${error.message}.`);
      throw error;
    }
    const { record, key } = created;
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      `Created API key ${record.id} (name ${JSON.stringify(record.name)}, role ${record.role}, expires ${formatTime(record.expiresAt, 'never')}).\n` +
        'The key above is shown only this once and cannot be recovered: store it now.\n',
    );
    if (!config.auth.api_keys.enabled) {
      process.stderr.write('Note: auth.api_keys.enabled is false in the configuration, so servers will not accept this key.\n');
    }
  });
}

/** What `keys` reads: a ${VAR} elsewhere (a database password) may stay unset. */
const KEYS_SECTIONS = ['state', 'auth', 'roles', 'log'] as const;

function configFor(options: KeysOptions): BastionConfig {
  return loadConfig({ configPath: options.config, sections: KEYS_SECTIONS }).config;
}

async function withStore(config: BastionConfig, run: (store: ApiKeyStore) => Promise<void>): Promise<void> {
  const store = await openApiKeyStore(config, createLogger(config.log.level));
  try {
    await run(store);
  } finally {
    await store.close();
  }
}

const COLUMNS = ['ID', 'NAME', 'ROLE', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'] as const;

/** A plain-text table of the records; names are cleaned of control characters. */
export function formatKeyTable(records: readonly ApiKeyRecord[]): string {
  if (records.length === 0) return 'No API keys.\n';
  const rows = records.map((r) => [
    r.id,
    printable(r.name),
    printable(r.role),
    formatTime(r.createdAt, '-'),
    formatTime(r.expiresAt, 'never'),
    formatTime(r.lastUsedAt, 'never'),
    formatTime(r.revokedAt, '-'),
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n') + '\n';
}

function formatTime(value: Date | null, none: string): string {
  return value === null ? none : value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '?');
}
