import type { Command } from 'commander';
import { issueToken } from '../auth/jwt/issue.js';
import { BUILT_IN_ROLES } from '../authorize/roles.js';
import { loadConfig } from '../config/load.js';
import type { BastionConfig, JwtIssuerConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';

interface IssueOptions {
  sub: string;
  role: string;
  ttl?: string;
  scope?: string;
  issuer?: string;
  config?: string;
}

const DEFAULT_TTL_S = 8 * 3600;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** `bastion token issue`: an HS256 access token from a configured shared secret, on stdout only. */
export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('JWT access tokens for teams without an identity provider');
  token
    .command('issue')
    .description('Sign an access token with the secret of a configured JWT issuer and print it on stdout')
    .requiredOption('--sub <subject>', 'the subject (who the token is for)')
    .requiredOption('--role <role>', 'reader, writer, admin, approver, auditor or a role from bastion.yaml')
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 8h, 1d (default 8h, capped by max_lifetime_s)')
    .option('--scope <scopes>', 'space-separated scopes, e.g. "a b"')
    .option('--issuer <iss>', 'which issuer signs, when several have a secret')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)')
    .action(async (options: IssueOptions) => {
      // Only what signing needs: a ${VAR} elsewhere (a database password) may stay unset.
      const { config } = loadConfig({ configPath: options.config, sections: ['auth', 'roles', 'log'] });
      const issuer = signingIssuer(config, options.issuer);
      const jwt = await issueToken(issuer, {
        subject: checkSubject(options.sub),
        role: checkRole(config, options.role),
        scopes: parseScopes(options.scope),
        ttlS: options.ttl === undefined ? Math.min(DEFAULT_TTL_S, issuer.max_lifetime_s) : parseTtl(options.ttl),
      });
      process.stdout.write(`${jwt}\n`);
    });
}

function signingIssuer(config: BastionConfig, wanted: string | undefined): JwtIssuerConfig {
  const withSecret = config.auth.jwt.issuers.filter((i) => i.secret !== undefined);
  if (wanted !== undefined) {
    const issuer = withSecret.find((i) => i.issuer === wanted);
    if (issuer === undefined) throw new BastionError('CONFIG_INVALID', `--issuer: no issuer ${JSON.stringify(wanted)} with a secret in auth.jwt.issuers.`);
    return issuer;
  }
  const [only, ...more] = withSecret;
  if (only === undefined) {
    throw new BastionError('CONFIG_INVALID', 'auth.jwt.issuers: no issuer has a secret; add one with algorithms: [HS256] and secret: ${YOUR_SECRET}.');
  }
  if (more.length > 0) {
    const names = withSecret.map((i) => JSON.stringify(i.issuer)).join(', ');
    throw new BastionError('CONFIG_INVALID', `several issuers have a secret (${names}); choose one with --issuer.`);
  }
  return only;
}

function checkRole(config: BastionConfig, role: string): string {
  if (Object.hasOwn(BUILT_IN_ROLES, role) || Object.hasOwn(config.roles, role)) return role;
  const known = [...Object.keys(BUILT_IN_ROLES), ...Object.keys(config.roles)].join(', ');
  throw new BastionError('INVALID_ARGUMENT', `--role: unknown role ${JSON.stringify(role)}; use one of ${known}.`);
}

function checkSubject(sub: string): string {
  if (sub.length === 0 || sub.length > 256 || /\p{Cc}/u.test(sub)) {
    throw new BastionError('INVALID_ARGUMENT', '--sub: 1 to 256 characters, no control characters.');
  }
  return sub;
}

function parseScopes(scope: string | undefined): string[] {
  const scopes = (scope ?? '').split(' ').filter((s) => s.length > 0);
  if (!scopes.every((s) => SCOPE_TOKEN.test(s))) {
    throw new BastionError('INVALID_ARGUMENT', '--scope: space-separated scopes of printable characters other than " and \\.');
  }
  return [...new Set(scopes)];
}

function parseTtl(ttl: string): number {
  const match = /^(\d{1,7})([smhd]?)$/.exec(ttl.trim());
  const seconds = match?.[1] === undefined ? NaN : Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? NaN);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new BastionError('INVALID_ARGUMENT', `--ttl: expected a duration such as 90s, 30m, 8h or 1d, got ${JSON.stringify(ttl)}.`);
  }
  return seconds;
}
