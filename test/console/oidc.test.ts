/**
 * The console's OIDC sign-in against a real provider (oidc-provider on 127.0.0.1):
 * authorization code + PKCE, and each way a sign-in must be refused, judged by
 * effect (no principal comes back; the provider did or did not issue tokens).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcSchema } from '../../src/config/schema-access.js';
import type { OidcConfig } from '../../src/config/schema.js';
import { createOidcClient, PENDING_MAX_AGE_MS, type OidcClient, type OidcPending } from '../../src/console/oidc.js';
import { BastionError } from '../../src/errors/codes.js';
import { startTestIssuer, type TestIssuer } from '../helpers/oidc-provider.js';

/** Built-in roles plus a configured `approver`; `auditor` is allowed by default but not configured here. */
const KNOWN_ROLES = new Set(['reader', 'writer', 'admin', 'approver']);

let idp: TestIssuer;
let confidentialIdp: TestIssuer;
/** Every secret-bearing value a test saw: none may appear in any refusal. */
const secrets = new Set<string>();
const refusals: BastionError[] = [];

beforeAll(async () => {
  [idp, confidentialIdp] = await Promise.all([startTestIssuer(), startTestIssuer({ confidential: true, roleClaim: 'bastion_role' })]);
  secrets.add(confidentialIdp.clientSecret!);
});
afterAll(async () => {
  await Promise.all([idp?.close(), confidentialIdp?.close()]);
});

function configFor(issuer: TestIssuer, extra: Partial<Record<keyof OidcConfig, unknown>> = {}): OidcConfig {
  return oidcSchema.parse({ issuer: issuer.issuer, client_id: issuer.clientId, ...extra });
}

/** A fetch that records the tokens and codes it carries, so the refusals can be checked for them. */
function recordingFetch(rewrite?: (body: URLSearchParams) => void): typeof fetch & { idTokens: string[] } {
  const idTokens: string[] = [];
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (init?.body instanceof URLSearchParams) {
      for (const name of ['code', 'code_verifier']) secrets.add(init.body.get(name) ?? '');
      rewrite?.(init.body);
    }
    const response = await fetch(input, init);
    if (init?.method === 'POST' && response.status === 200) {
      const body = (await response.clone().json()) as { id_token?: string; access_token?: string };
      if (body.id_token !== undefined) idTokens.push(body.id_token);
      if (body.access_token !== undefined) secrets.add(body.access_token);
      if (body.id_token !== undefined) secrets.add(body.id_token);
    }
    return response;
  };
  const recording: typeof fetch & { idTokens: string[] } = Object.assign(wrapped, { idTokens });
  return recording;
}

function client(issuer: TestIssuer, extra: Partial<Record<keyof OidcConfig, unknown>> = {}, fetchImpl = recordingFetch()): OidcClient {
  return createOidcClient(configFor(issuer, extra), { redirectUri: issuer.redirectUri, knownRoles: KNOWN_ROLES, fetch: fetchImpl });
}

async function started(rp: OidcClient, issuer: TestIssuer, account?: Parameters<TestIssuer['login']>[1]): Promise<{ callback: URL; pending: OidcPending }> {
  const { url, pending } = await rp.begin();
  for (const value of [pending.state, pending.nonce, pending.code_verifier]) secrets.add(value);
  const callback = await issuer.login(url, account);
  secrets.add(callback.searchParams.get('code') ?? '');
  return { callback, pending };
}

/** The sign-in is refused with SIGN_IN_FAILED; returns the reason the log would get. */
async function refused(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BastionError);
  const bastion = error as BastionError;
  expect(bastion.code).toBe('SIGN_IN_FAILED');
  refusals.push(bastion);
  return (bastion.detail as { reason: string }).reason;
}

describe('OIDC sign-in (authorization code + PKCE) against a real provider', () => {
  it('signs in: the subject and the role claim come back, and the URL asks for S256 PKCE, state and nonce', async () => {
    const rp = client(idp);
    const { url, pending } = await rp.begin();
    const asked = new URL(url).searchParams;
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('code_challenge')).not.toBe(pending.code_verifier);
    expect(asked.get('state')).toBe(pending.state);
    expect(asked.get('nonce')).toBe(pending.nonce);
    expect(asked.has('code_verifier')).toBe(false);
    const callback = await idp.login(url, { sub: 'alice', role: 'approver' });
    expect(await rp.finish(callback, pending)).toEqual({ subject: 'alice', role: 'approver', issuer: idp.issuer });
  });

  it('signs in a confidential client (client_secret_basic) with a custom role claim', async () => {
    const rp = client(confidentialIdp, { client_id: confidentialIdp.clientId, client_secret: confidentialIdp.clientSecret, role_claim: 'bastion_role' });
    const { callback, pending } = await started(rp, confidentialIdp, { sub: 'bob', role: 'admin' });
    expect(await rp.finish(callback, pending)).toEqual({ subject: 'bob', role: 'admin', issuer: confidentialIdp.issuer });
  });

  it('a confidential client with a wrong secret gets nothing: the provider refuses the code', async () => {
    const rp = client(confidentialIdp, { client_secret: 'not-the-secret', role_claim: 'bastion_role' });
    const { callback, pending } = await started(rp, confidentialIdp);
    expect(await refused(rp.finish(callback, pending))).toMatch(/HTTP 401 \(invalid_client\)/);
  });

  it('a tampered state is refused; the untouched callback then still signs in', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${pending.state.slice(0, -1)}${pending.state.endsWith('A') ? 'B' : 'A'}`);
    expect(await refused(rp.finish(tampered, pending))).toBe('state does not match');
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    expect(await refused(rp.finish(missing, pending))).toBe('state does not match');
    expect((await rp.finish(callback, pending)).subject).toBe('alice');
  });

  it('an ID token whose nonce is not the pending one is refused', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    const other = { ...pending, nonce: 'n'.repeat(43) };
    expect(await refused(rp.finish(callback, other))).toBe('nonce does not match');
  });

  it('a code redeemed with another PKCE verifier gets nothing: the provider refuses it', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    expect(await refused(rp.finish(callback, { ...pending, code_verifier: 'v'.repeat(43) }))).toMatch(/HTTP 400 \(invalid_grant\)/);
  });

  it('an ID token issued to another client (aud) is refused, though signed, fresh and with our nonce', async () => {
    // The attacker's app (otherClientId) runs the flow with our nonce and PKCE challenge, and its
    // token answer reaches us in place of ours: the provider issues it (aud = the other client).
    const fetchImpl = recordingFetch((body) => body.set('client_id', idp.otherClientId));
    const rp = client(idp, {}, fetchImpl);
    const { url, pending } = await rp.begin();
    const theirs = new URL(url);
    theirs.searchParams.set('client_id', idp.otherClientId);
    const callback = await idp.login(theirs.href, { role: 'admin' });
    expect(await refused(rp.finish(callback, pending))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED \(aud/);
    expect(fetchImpl.idTokens).toHaveLength(1);
    expect(decodeJwt(fetchImpl.idTokens[0]!)).toMatchObject({ aud: idp.otherClientId, nonce: pending.nonce, iss: idp.issuer });
  });

  it('an expected audience other than the client id is enforced', async () => {
    const rp = client(idp, { audience: 'https://bastion.example.com' });
    const { callback, pending } = await started(rp, idp);
    expect(await refused(rp.finish(callback, pending))).toMatch(/\(aud/);
  });

  it('a role outside allowed_roles, a role that is not configured, and no role at all are refused', async () => {
    const cases: Array<[{ role?: string | undefined }, RegExp]> = [
      [{ role: 'writer' }, /not an allowed, configured role/], // exists, not allowed for the console
      [{ role: 'auditor' }, /not an allowed, configured role/], // allowed by default, not configured here
      [{ role: 'root' }, /not an allowed, configured role/],
      [{ role: undefined }, /no role claim and no default_role/],
    ];
    for (const [account, reason] of cases) {
      const rp = client(idp);
      const { callback, pending } = await started(rp, idp, account);
      expect(await refused(rp.finish(callback, pending))).toMatch(reason);
    }
    const rp = client(idp, { default_role: 'approver' });
    const { callback, pending } = await started(rp, idp, { sub: 'carol', role: undefined });
    expect(await rp.finish(callback, pending)).toMatchObject({ subject: 'carol', role: 'approver' });
  });

  it('a pending sign-in older than 10 minutes is refused', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    const old = { ...pending, created_at: Date.now() - PENDING_MAX_AGE_MS - 1000 };
    expect(await refused(rp.finish(callback, old))).toBe('pending sign-in expired');
    const future = { ...pending, created_at: Date.now() + 5 * 60_000 };
    expect(await refused(rp.finish(callback, future))).toBe('pending sign-in expired');
    expect(await refused(rp.finish(callback, null as unknown as OidcPending))).toBe('pending sign-in malformed');
    expect(await refused(rp.finish(callback, { ...pending, state: 42 } as unknown as OidcPending))).toBe('pending sign-in malformed');
  });

  it('an issuer whose discovery document names another issuer is refused before any redirect', async () => {
    const elsewhere = idp.issuer.replace('127.0.0.1', 'localhost');
    const rp = createOidcClient(oidcSchema.parse({ issuer: elsewhere, client_id: idp.clientId }), {
      redirectUri: idp.redirectUri,
      knownRoles: KNOWN_ROLES,
    });
    expect(await refused(rp.begin())).toMatch(/issuer in the document differs/);
  });

  it('a callback carrying another issuer (mix-up, RFC 9207) is refused; one without iss too', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    const mixed = new URL(callback);
    mixed.searchParams.set('iss', confidentialIdp.issuer);
    expect(await refused(rp.finish(mixed, pending))).toMatch(/iss parameter/);
    mixed.searchParams.delete('iss');
    expect(await refused(rp.finish(mixed, pending))).toMatch(/iss parameter/);
    expect((await rp.finish(callback, pending)).subject).toBe('alice');
  });

  it('a replayed callback is refused by us, and the code by the provider', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    expect((await rp.finish(callback, pending)).role).toBe('admin');
    expect(await refused(rp.finish(callback, pending))).toBe('this sign-in was already completed or tried');
    // Another replica (no memory of the first) gets the code refused by the provider.
    const replica = client(idp);
    expect(await refused(replica.finish(callback, pending))).toMatch(/HTTP 400 \(invalid_grant\)/);
  });

  it('a callback with the error parameter, or at another path, gets nothing', async () => {
    const rp = client(idp);
    const { callback, pending } = await started(rp, idp);
    const denied = new URL(callback);
    denied.searchParams.delete('code');
    denied.searchParams.set('error', 'access_denied');
    expect(await refused(rp.finish(denied, pending))).toBe('issuer refused: access_denied');
    const moved = new URL(callback);
    moved.pathname = '/elsewhere';
    expect(await refused(rp.finish(moved, pending))).toBe('callback is not the redirect URI');
  });

  it('refuses plain http to a non-loopback issuer at creation', () => {
    expect(() =>
      createOidcClient(oidcSchema.parse({ issuer: 'http://idp.example.com', client_id: 'x' }), { redirectUri: idp.redirectUri, knownRoles: KNOWN_ROLES }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
  });

  it('no refusal carries a code, token, verifier, state, nonce or client secret', () => {
    expect(refusals.length).toBeGreaterThanOrEqual(15);
    const values = [...secrets].filter((s) => s.length >= 16);
    expect(values.length).toBeGreaterThan(20);
    for (const error of refusals) {
      const shown = `${error.message} ${JSON.stringify(error.detail)} ${error.stack ?? ''}`;
      expect(error.message).toBe('The sign-in could not be completed; start it again.');
      for (const value of values) expect(shown).not.toContain(value);
    }
  });
});

describe('auth.oidc configuration', () => {
  it('fills the defaults and refuses scopes without openid and a default_role outside allowed_roles', () => {
    expect(oidcSchema.parse({ issuer: 'https://idp.example.com', client_id: 'c' })).toEqual({
      issuer: 'https://idp.example.com',
      client_id: 'c',
      scopes: ['openid'],
      role_claim: 'role',
      allowed_roles: ['approver', 'auditor', 'admin'],
    });
    expect(oidcSchema.safeParse({ issuer: 'https://idp.example.com', client_id: 'c', scopes: ['profile'] }).success).toBe(false);
    expect(oidcSchema.safeParse({ issuer: 'https://idp.example.com', client_id: 'c', default_role: 'writer' }).success).toBe(false);
    expect(oidcSchema.safeParse({ issuer: 'https://idp.example.com', client_id: 'c', extra: 1 }).success).toBe(false);
  });
});

describe('loading', () => {
  it('no module of src/ imports the OIDC client statically (the console loads it with await import() when auth.oidc is set)', () => {
    const root = join(import.meta.dirname, '../../src');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(50);
    const staticImport = /^import\s+(?!type\s)[^;]*?from\s+'[^']*\boidc(-discovery)?\.js'/m;
    const offenders = files.filter((f) => f !== join('console', 'oidc.ts') && staticImport.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
