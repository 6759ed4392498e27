/**
 * ES256 issuers whose keys come from a JWKS URL, served here by a node:http server
 * on 127.0.0.1. Proves the key set is cached, that a rotated key (new kid) is
 * picked up by a refresh, that refreshes are bounded by the cooldown, and that the
 * verifier fetches only the configured URL: never a redirect target, never a `jku`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, type AuthFailureCode } from '../../src/auth/identity/errors.js';
import { JwtVerifier, type JwtVerifierOptions } from '../../src/auth/jwt/verifier.js';
import { jwtIssuerSchema } from '../../src/config/schema-access.js';

const ISS = 'https://idp.example.test';
const AUDIENCE = 'https://bastion.example.test/mcp';

const logLines: string[] = [];
const log = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString()), done()) }));
const presented: string[] = [];

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** A tiny HTTP server that counts requests; `handle` decides each answer. */
class TestServer {
  requests = 0;
  handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(404).end();
  private readonly server: Server = createServer((req, res) => {
    this.requests += 1;
    this.handle(req, res);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  serveKeys(keys: SigningKey[]): void {
    this.handle = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const idp = new TestServer();
const attacker = new TestServer();
let idpUrl: string;
let attackerUrl: string;
let key1: SigningKey;
let key2: SigningKey;
let attackerKey: SigningKey;

function verifierFor(jwksUrl: string, options: JwtVerifierOptions = {}): JwtVerifier {
  const issuer = jwtIssuerSchema.parse({ issuer: ISS, audience: AUDIENCE, algorithms: ['ES256'], jwks_url: jwksUrl });
  return JwtVerifier.create([issuer], log, options);
}

async function mint(key: SigningKey, extraHeader: Record<string, string> = {}, claims: JWTPayload = {}): Promise<string> {
  const token = await new SignJWT({ role: 'reader', scope: 'db:read', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...extraHeader })
    .setIssuer(ISS)
    .setAudience(AUDIENCE)
    .setSubject('svc-reporting')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key.privateKey);
  presented.push(token);
  return token;
}

async function outcome(verifier: JwtVerifier, token: string): Promise<AuthFailureCode | 'accepted'> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return error.code;
  }
}

beforeAll(async () => {
  [key1, key2, attackerKey] = await Promise.all([signingKey('key-1'), signingKey('key-2'), signingKey('attacker')]);
  idpUrl = `${await idp.start()}/jwks.json`;
  attackerUrl = `${await attacker.start()}/jwks.json`;
  attacker.serveKeys([attackerKey]);
});

beforeEach(() => {
  idp.requests = 0;
  attacker.requests = 0;
  idp.serveKeys([key1]);
});

afterAll(async () => {
  await Promise.all([idp.stop(), attacker.stop()]);
  const all = logLines.join('\n');
  for (const token of presented) expect(all).not.toContain(token);
});

describe('JWKS issuers (ES256)', () => {
  it('a valid ES256 token is accepted with its role and scopes, and the key set is fetched once and cached', async () => {
    const verifier = verifierFor(idpUrl);
    const principal = await verifier.verify(await mint(key1));
    expect(principal).toEqual({ id: `jwt:${ISS}#svc-reporting`, kind: 'jwt', role: 'reader', scopes: ['db:read'] });
    await verifier.verify(await mint(key1, {}, { role: 'writer' }));
    expect(idp.requests).toBe(1);
  });

  it('key rotation: a token with a new kid is accepted after the key set is refreshed', async () => {
    const verifier = verifierFor(idpUrl, { jwksCooldownMs: 0 });
    expect(await outcome(verifier, await mint(key1))).toBe('accepted');
    idp.serveKeys([key2]);
    expect(await outcome(verifier, await mint(key2))).toBe('accepted');
    expect(idp.requests).toBe(2);
    // The retired key no longer verifies anything.
    expect(await outcome(verifier, await mint(key1))).toBe('AUTH_INVALID');
  });

  it('within the cooldown an unknown kid does not trigger another fetch (no refetch storm from forged kids)', async () => {
    const verifier = verifierFor(idpUrl, { jwksCooldownMs: 60_000 });
    expect(await outcome(verifier, await mint(key1))).toBe('accepted');
    idp.serveKeys([key2]);
    for (let i = 0; i < 5; i += 1) expect(await outcome(verifier, await mint({ ...attackerKey, kid: `forged-${i}` }))).toBe('AUTH_INVALID');
    expect(await outcome(verifier, await mint(key2))).toBe('AUTH_INVALID');
    expect(idp.requests).toBe(1);
  });

  it('a token signed by a key outside the set, with a kid from the set, is refused', async () => {
    const verifier = verifierFor(idpUrl);
    expect(await outcome(verifier, await mint({ ...attackerKey, kid: key1.kid }))).toBe('AUTH_INVALID');
  });

  it('a jku header naming the attacker\'s key set is ignored: nothing is fetched from it', async () => {
    const verifier = verifierFor(idpUrl, { jwksCooldownMs: 0 });
    expect(await outcome(verifier, await mint(attackerKey, { jku: attackerUrl }))).toBe('AUTH_INVALID');
    expect(attacker.requests).toBe(0);
  });

  it('a redirect from the JWKS URL to another server is not followed', async () => {
    idp.handle = (_req, res) => res.writeHead(302, { location: attackerUrl }).end();
    const verifier = verifierFor(idpUrl);
    expect(await outcome(verifier, await mint(attackerKey))).toBe('AUTH_INVALID');
    expect(attacker.requests).toBe(0);
  });

  it('an unreachable or broken key set refuses the token and logs a warning without the token', async () => {
    idp.handle = (_req, res) => res.writeHead(500).end();
    const verifier = verifierFor(idpUrl);
    const token = await mint(key1);
    expect(await outcome(verifier, token)).toBe('AUTH_INVALID');
    const warning = logLines.find((line) => line.includes('cannot load the JWKS'));
    expect(warning).toBeDefined();
    expect(warning).not.toContain(token);
  });

  it('while the key set is unreachable, a flood of tokens does not become a flood of fetches', async () => {
    idp.handle = (req) => req.socket.destroy();
    const verifier = verifierFor(idpUrl);
    for (let i = 0; i < 10; i += 1) expect(await outcome(verifier, await mint(key1))).toBe('AUTH_INVALID');
    expect(idp.requests).toBe(1);
  });

  it('a key set that was cached keeps verifying known keys while a refresh fails', async () => {
    const verifier = verifierFor(idpUrl, { jwksCooldownMs: 0 });
    expect(await outcome(verifier, await mint(key1))).toBe('accepted');
    idp.handle = (_req, res) => res.writeHead(503).end();
    expect(await outcome(verifier, await mint({ ...key2 }))).toBe('AUTH_INVALID');
    expect(await outcome(verifier, await mint(key1))).toBe('accepted');
  });

  it('an RS256 token is refused by an issuer pinned to ES256 before any key is fetched', async () => {
    const rsa = await generateKeyPair('RS256');
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'RS256', kid: key1.kid })
      .setIssuer(ISS)
      .setAudience(AUDIENCE)
      .setSubject('x')
      .setExpirationTime('1h')
      .sign(rsa.privateKey);
    presented.push(token);
    expect(await outcome(verifierFor(idpUrl), token)).toBe('AUTH_INVALID');
    expect(idp.requests).toBe(0);
  });
});
