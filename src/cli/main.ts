#!/usr/bin/env node
import { Command } from 'commander';
import { isBastionError } from '../errors/codes.js';
import { packageVersion } from '../util/package-root.js';
import { registerApprovalsCommand } from './approvals.js';
import { registerAuditCommand } from './audit.js';
import { registerDoctorCommand } from './doctor.js';
import { registerInitCommand } from './init.js';
import { registerKeysCommand } from './keys.js';
import { serve, type ServeOptions } from './serve.js';
import { registerTokenCommand } from './token.js';

const program = new Command();
program.name('bastion').description('A hardened MCP server for governed SQL access').version(packageVersion());

program
  .command('serve')
  .description('Serve MCP over stdio (default) or Streamable HTTP at /mcp')
  .option('--http', 'serve Streamable HTTP instead of stdio')
  .option('--host <host>', 'HTTP bind address (default 127.0.0.1)')
  .option('--port <port>', 'HTTP port (default 7300)')
  .option('--config <file>', 'configuration file (default ./bastion.yaml if present)')
  .option(
    '--db <url>',
    'one source: postgres://… or postgresql://…, mysql://… or mariadb://…, sqlite:PATH (a database file), pglite:DIR (an embedded database stored in DIR); default: the embedded demo database',
  )
  .option('--files <dir>', 'serve read-only file tools inside this folder (repeatable)', (dir: string, all: string[] = []) => [...all, dir])
  .option('--no-auth', 'HTTP without authentication (loopback addresses only)')
  .option('--rate-limit <n>', 'calls per minute per principal (default 60; overrides rate_limits.per_principal_per_minute; a role with its own rate_limit_per_minute keeps it)')
  .option('--connect-help', 'with --http, print how to connect a client to stderr (default: only when stderr is a terminal)')
  .option('--no-connect-help', 'with --http, never print it (stderr then carries JSON log lines only)')
  .action(async (options: ServeOptions) => {
    await serve(options);
  });

registerTokenCommand(program);
registerKeysCommand(program);
registerAuditCommand(program);
registerApprovalsCommand(program);
registerInitCommand(program);
registerDoctorCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (isBastionError(error)) {
    process.stderr.write(`bastion: ${error.message}\n`);
    process.exit(error.code === 'CONFIG_INVALID' ? 2 : 1);
  }
  process.stderr.write(`bastion: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
