/**
 * `bastion token issue`, run as the built binary (node dist/cli/main.js; `npm run
 * build` first): the token it prints verifies with the verifier built from the
 * same bastion.yaml, the secret comes from ${ENV} and appears nowhere in the
 * output, and a ttl past max_lifetime_s or an unknown role is refused.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { JwtVerifier } from '../../src/auth/jwt/verifier.js';
import { loadConfig } from '../../src/config/load.js';
import { cleanup, dirWithConfig, runCli } from '../helpers/spawn.js';

const SECRET = 'cli-test-secret-0123456789-abcdefghijkl';
const OTHER_SECRET = 'cli-other-secret-0123456789-abcdefghij';
const env = { JWT_SECRET: SECRET, OTHER_JWT_SECRET: OTHER_SECRET };

const FIRST_ISSUER = `
      - issuer: https://bastion.example.test
        audience: [https://bastion.example.test/mcp, https://second.example.test]
        algorithms: [HS256]
        secret: \${JWT_SECRET}
        role_claim: bastion_role
        max_lifetime_s: 43200`;

const SECOND_ISSUER = `
      - issuer: https://other.example.test
        audience: https://bastion.example.test/mcp
        algorithms: [HS256]
        secret: \${OTHER_JWT_SECRET}`;

const ROLES = `
roles:
  analyst:
    tools: [query]
`;

const CONFIG = `auth:\n  jwt:\n    issuers:${FIRST_ISSUER}${ROLES}`;
const TWO_ISSUERS = `auth:\n  jwt:\n    issuers:${FIRST_ISSUER}${SECOND_ISSUER}\n`;

afterAll(cleanup);

function verifierFor(dir: string): JwtVerifier {
  const { config } = loadConfig({ configPath: `${dir}/bastion.yaml`, env });
  return JwtVerifier.create(config.auth.jwt.issuers, pino({ level: 'silent' }));
}

describe('bastion token issue', () => {
  it('prints one token on stdout that the verifier accepts with the role, scopes and lifetime asked for', async () => {
    const dir = dirWithConfig(CONFIG);
    const run = await runCli(['token', 'issue', '--sub', 'ci-bot', '--role', 'analyst', '--ttl', '8h', '--scope', 'db:read db:explain'], { cwd: dir, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = run.stdout.trim();

    const principal = await verifierFor(dir).verify(token);
    expect(principal).toEqual({ id: 'jwt:https://bastion.example.test#ci-bot', kind: 'jwt', role: 'analyst', scopes: ['db:read', 'db:explain'] });

    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    expect(claims).toMatchObject({ iss: 'https://bastion.example.test', aud: 'https://bastion.example.test/mcp', sub: 'ci-bot', bastion_role: 'analyst' });
    expect(claims.exp! - claims.iat!).toBe(8 * 3600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('reads the config given with --config and defaults the ttl to 8 h', async () => {
    const dir = dirWithConfig(CONFIG);
    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader', '--config', `${dir}/bastion.yaml`], { cwd: '/', env });
    expect(run.code).toBe(0);
    const claims = decodeJwt(run.stdout.trim());
    expect(claims.exp! - claims.iat!).toBe(8 * 3600);
    expect(claims['scope']).toBeUndefined();
    expect((await verifierFor(dir).verify(run.stdout.trim())).role).toBe('reader');
  });

  it('refuses a ttl above the issuer\'s max_lifetime_s and prints no token', async () => {
    const dir = dirWithConfig(CONFIG);
    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader', '--ttl', '13h'], { cwd: dir, env });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--ttl: at most 43200 seconds/);
  });

  it('refuses a role that is neither built in nor configured', async () => {
    const dir = dirWithConfig(CONFIG);
    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'superuser'], { cwd: dir, env });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--role: unknown role "superuser"; use one of reader, writer, admin, approver, auditor, analyst/);
  });

  it('refuses a malformed ttl', async () => {
    const dir = dirWithConfig(CONFIG);
    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader', '--ttl', '8 hours'], { cwd: dir, env });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
  });

  it('refuses to start when the secret variable is unset, naming it', async () => {
    const dir = dirWithConfig(CONFIG);
    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader'], { cwd: dir, env: {} });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/JWT_SECRET is not set/);
  });

  it('with several secret issuers asks for --issuer, and signs with the one named', async () => {
    const dir = dirWithConfig(TWO_ISSUERS);
    const ambiguous = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader'], { cwd: dir, env });
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.stderr).toMatch(/choose one with --issuer/);

    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader', '--issuer', 'https://other.example.test'], { cwd: dir, env });
    expect(run.code).toBe(0);
    expect((await verifierFor(dir).verify(run.stdout.trim())).id).toBe('jwt:https://other.example.test#alice');
  });

  it('without any secret issuer it explains what to configure', async () => {
    const dir = dirWithConfig('log:\n  level: warn\n');
    const run = await runCli(['token', 'issue', '--sub', 'alice', '--role', 'reader'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no issuer has a secret/);
  });
});
