/**
 * Attacks on the JWT verifier with shared-secret (HS256) and PEM (RS256) issuers.
 * Each attack starts from a token the verifier accepts and changes one thing, so a
 * refusal can only come from the check under test. JWKS issuers: jwt-jwks.test.ts.
 */
import { Writable } from 'node:stream';
import { base64url, exportPKCS8, exportSPKI, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, type AuthFailureCode } from '../../src/auth/identity/errors.js';
import { JwtVerifier, type JwtVerifierOptions } from '../../src/auth/jwt/verifier.js';
import { jwtIssuerSchema } from '../../src/config/schema-access.js';
import type { JwtIssuerConfig } from '../../src/config/schema.js';

const HS_ISS = 'https://hs.example.test';
const HS_OTHER_ISS = 'https://hs-other.example.test';
const RS_ISS = 'https://rs.example.test';
const AUDIENCE = 'https://bastion.example.test/mcp';
const HS_SECRET = 'hs-secret-0123456789-abcdefghijklmnop';
const HS_OTHER_SECRET = 'hs-other-0123456789-abcdefghijklmnop';
const HOUR = 3600;

/** Every log line any verifier writes, to prove no token ever reaches one. */
const logLines: string[] = [];
const log = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString()), done()) }));
const issuedTokens: string[] = [];

let rsPrivate: CryptoKey;
let rsPublicPem: string;
let strangerRsPrivate: CryptoKey;
let verifier: JwtVerifier;

function issuer(fields: Record<string, unknown>): JwtIssuerConfig {
  return jwtIssuerSchema.parse({ audience: AUDIENCE, ...fields });
}

function verifierFor(issuers: JwtIssuerConfig[], options?: JwtVerifierOptions): JwtVerifier {
  return JwtVerifier.create(issuers, log, options);
}

const nowS = (): number => Math.floor(Date.now() / 1000);

interface Mint {
  claims?: JWTPayload;
  /** Claims removed after the defaults are applied. */
  omit?: string[];
  alg?: string;
  key?: CryptoKey | Uint8Array;
}

/** A token the verifier accepts for the HS issuer, unless `m` changes something. */
async function mint(m: Mint = {}): Promise<string> {
  const now = nowS();
  const claims: JWTPayload = { iss: HS_ISS, aud: AUDIENCE, sub: 'alice', role: 'reader', scope: 'db:read', iat: now, exp: now + HOUR, ...m.claims };
  for (const name of m.omit ?? []) delete claims[name];
  const token = await new SignJWT(claims).setProtectedHeader({ alg: m.alg ?? 'HS256', typ: 'JWT' }).sign(m.key ?? new TextEncoder().encode(HS_SECRET));
  issuedTokens.push(token);
  return token;
}

async function mintRs(m: Mint = {}): Promise<string> {
  return mint({ alg: 'RS256', key: rsPrivate, ...m, claims: { iss: RS_ISS, ...m.claims } });
}

/** The verifier's answer to `token`: the AuthError code, or 'accepted'. */
async function outcome(token: string, v: JwtVerifier = verifier): Promise<AuthFailureCode | 'accepted'> {
  try {
    await v.verify(token);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    if (token.length > 0) {
      expect(error.message).not.toContain(token);
      expect(error.detail).not.toContain(token);
    }
    lastDetail = error.detail;
    return error.code;
  }
}

/** The log detail of the last refusal: proves which check refused the token. */
let lastDetail = '';

beforeAll(async () => {
  const rs = await generateKeyPair('RS256', { extractable: true });
  rsPrivate = rs.privateKey;
  rsPublicPem = await exportSPKI(rs.publicKey);
  strangerRsPrivate = (await generateKeyPair('RS256')).privateKey;
  verifier = verifierFor([
    issuer({ issuer: HS_ISS, algorithms: ['HS256'], secret: HS_SECRET }),
    issuer({ issuer: HS_OTHER_ISS, algorithms: ['HS256'], secret: HS_OTHER_SECRET }),
    issuer({ issuer: RS_ISS, algorithms: ['RS256'], public_key: rsPublicPem, scope_claim: 'scp' }),
  ]);
  await verifier.ready();
});

afterAll(() => {
  // No log line any verifier wrote holds any token a test presented.
  const all = logLines.join('\n');
  for (const token of issuedTokens) expect(all).not.toContain(token);
});

describe('valid tokens are accepted with the right principal', () => {
  it('HS256 with a shared secret: role and space-separated scopes from the claims', async () => {
    const principal = await verifier.verify(await mint({ claims: { scope: 'db:read db:explain' } }));
    expect(principal).toEqual({ id: `jwt:${HS_ISS}#alice`, kind: 'jwt', role: 'reader', scopes: ['db:read', 'db:explain'] });
  });

  it('RS256 with a PEM public key: scopes from a configured claim holding an array', async () => {
    const principal = await verifier.verify(await mintRs({ claims: { role: 'writer', scp: ['db:read', 'db:write'] }, omit: ['scope'] }));
    expect(principal).toEqual({ id: `jwt:${RS_ISS}#alice`, kind: 'jwt', role: 'writer', scopes: ['db:read', 'db:write'] });
  });

  it('the principal holds only id, kind, role and scopes: the token itself is never passed on', async () => {
    const token = await mint();
    const principal = await verifier.verify(token);
    expect(Object.keys(principal).sort()).toEqual(['id', 'kind', 'role', 'scopes']);
    expect(JSON.stringify(principal)).not.toContain(token.split('.')[2]);
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('a token with several audiences is accepted when one of them is ours', async () => {
    expect(await outcome(await mint({ claims: { aud: ['https://other.example.test', AUDIENCE] } }))).toBe('accepted');
  });
});

describe('attacks on the signature and the algorithm', () => {
  it('no token at all is refused as AUTH_MISSING', async () => {
    expect(await outcome('')).toBe('AUTH_MISSING');
  });

  it('garbage that is not a JWT is refused', async () => {
    expect(await outcome('not-a-jwt')).toBe('AUTH_INVALID');
    expect(await outcome('a.b.c')).toBe('AUTH_INVALID');
  });

  it('alg "none" (an unsecured JWT with an empty signature) is refused', async () => {
    const now = nowS();
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ iss: HS_ISS, aud: AUDIENCE, sub: 'mallory', role: 'admin', iat: now, exp: now + 60 }));
    const unsecured = `${header}.${payload}.`;
    issuedTokens.push(unsecured);
    expect(await outcome(unsecured)).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('key confusion: HS256 signed with the RS256 issuer\'s public PEM as the HMAC secret is refused', async () => {
    const forged = await mintRs({ alg: 'HS256', key: new TextEncoder().encode(rsPublicPem), claims: { role: 'admin' } });
    // The forgery is real: a verifier that let the token choose its algorithm would accept it.
    await expect(jwtVerify(forged, new TextEncoder().encode(rsPublicPem))).resolves.toBeDefined();
    expect(await outcome(forged)).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('a secret of the same length but different content is refused', async () => {
    const wrong = HS_SECRET.slice(0, -1) + (HS_SECRET.endsWith('p') ? 'q' : 'p');
    expect(wrong).toHaveLength(HS_SECRET.length);
    expect(await outcome(await mint({ key: new TextEncoder().encode(wrong) }))).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('a token claiming issuer A but signed with issuer B\'s secret is refused', async () => {
    expect(await outcome(await mint({ claims: { iss: HS_OTHER_ISS }, key: new TextEncoder().encode(HS_SECRET) }))).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    // Control: the same token with B's own secret is fine.
    expect(await outcome(await mint({ claims: { iss: HS_OTHER_ISS }, key: new TextEncoder().encode(HS_OTHER_SECRET) }))).toBe('accepted');
  });

  it('a token claiming the RS256 issuer but signed with another RSA key is refused', async () => {
    expect(await outcome(await mintRs({ key: strangerRsPrivate }))).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('a token claiming the RS256 issuer but signed with an HS issuer\'s secret is refused', async () => {
    expect(await outcome(await mintRs({ alg: 'HS256', key: new TextEncoder().encode(HS_SECRET) }))).toBe('AUTH_INVALID');
  });

  it('an algorithm outside the pinned list is refused even with the right key material', async () => {
    const hs512 = await mint({ alg: 'HS512', key: new TextEncoder().encode(HS_SECRET) });
    expect(await outcome(hs512)).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('a tampered payload (role raised to admin after signing) is refused', async () => {
    const [header, , signature] = (await mint()).split('.');
    const now = nowS();
    const raised = base64url.encode(JSON.stringify({ iss: HS_ISS, aud: AUDIENCE, sub: 'alice', role: 'admin', iat: now, exp: now + HOUR }));
    const tampered = `${header}.${raised}.${signature}`;
    issuedTokens.push(tampered);
    expect(await outcome(tampered)).toBe('AUTH_INVALID');
    expect(lastDetail).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });
});

describe('attacks on the claims', () => {
  it('an expired token is refused as AUTH_EXPIRED', async () => {
    const now = nowS();
    expect(await outcome(await mint({ claims: { iat: now - 2 * HOUR, exp: now - 120 } }))).toBe('AUTH_EXPIRED');
  });

  it('a token not yet valid (nbf an hour ahead) is refused', async () => {
    expect(await outcome(await mint({ claims: { nbf: nowS() + HOUR } }))).toBe('AUTH_INVALID');
    expect(lastDetail).toMatch(/nbf/);
  });

  it('a token without exp is refused', async () => {
    expect(await outcome(await mint({ omit: ['exp'] }))).toBe('AUTH_INVALID');
    expect(lastDetail).toMatch(/exp: missing/);
  });

  it('a token without iss or without aud is refused', async () => {
    expect(await outcome(await mint({ omit: ['iss'] }))).toBe('AUTH_INVALID');
    expect(await outcome(await mint({ omit: ['aud'] }))).toBe('AUTH_INVALID');
  });

  it('a lifetime over the 24 h limit (exp - iat = 25 h) is refused', async () => {
    const now = nowS();
    expect(await outcome(await mint({ claims: { iat: now, exp: now + 25 * HOUR } }))).toBe('AUTH_INVALID');
    expect(lastDetail).toMatch(/exp - iat exceeds max_lifetime_s 86400/);
    // Still refused when most of it has passed: issued 2 h ago, 23 h left, 25 h in all.
    expect(await outcome(await mint({ claims: { iat: now - 2 * HOUR, exp: now + 23 * HOUR } }))).toBe('AUTH_INVALID');
    expect(await outcome(await mint({ claims: { iat: now, exp: now + 23 * HOUR } }))).toBe('accepted');
  });

  it('a token without iat whose exp is 25 h ahead is refused', async () => {
    expect(await outcome(await mint({ omit: ['iat'], claims: { exp: nowS() + 25 * HOUR } }))).toBe('AUTH_INVALID');
    expect(lastDetail).toMatch(/more than max_lifetime_s 86400 ahead/);
    expect(await outcome(await mint({ omit: ['iat'], claims: { exp: nowS() + 23 * HOUR } }))).toBe('accepted');
  });

  it('a token issued in the future (iat an hour ahead) is refused', async () => {
    const now = nowS();
    expect(await outcome(await mint({ claims: { iat: now + HOUR, exp: now + 2 * HOUR } }))).toBe('AUTH_INVALID');
  });

  it('max_lifetime_s configured lower is enforced', async () => {
    const short = verifierFor([issuer({ issuer: HS_ISS, algorithms: ['HS256'], secret: HS_SECRET, max_lifetime_s: 600 })]);
    expect(await outcome(await mint(), short)).toBe('AUTH_INVALID');
    expect(await outcome(await mint({ claims: { exp: nowS() + 300 } }), short)).toBe('accepted');
  });

  it('a token for an issuer that is not configured is refused', async () => {
    expect(await outcome(await mint({ claims: { iss: 'https://evil.example.test' } }))).toBe('AUTH_INVALID');
    expect(lastDetail).toMatch(/names no configured issuer/);
    expect(await outcome(await mint({ claims: { iss: 'constructor' } }))).toBe('AUTH_INVALID');
    expect(await outcome(await mint({ claims: { iss: `${HS_ISS}/` } }))).toBe('AUTH_INVALID');
  });

  it('a token for another audience is refused', async () => {
    expect(await outcome(await mint({ claims: { aud: 'https://other-service.example.test' } }))).toBe('AUTH_INVALID');
    expect(lastDetail).toMatch(/aud: check_failed/);
  });

  it('a token without sub is refused', async () => {
    expect(await outcome(await mint({ omit: ['sub'] }))).toBe('AUTH_INVALID');
  });

  it('a token without the role claim is refused when the issuer has no default_role', async () => {
    expect(await outcome(await mint({ omit: ['role'] }))).toBe('AUTH_UNKNOWN_ROLE');
  });

  it('a token without the role claim gets default_role when the issuer sets one', async () => {
    const withDefault = verifierFor([issuer({ issuer: HS_ISS, algorithms: ['HS256'], secret: HS_SECRET, default_role: 'reader' })]);
    const principal = await withDefault.verify(await mint({ omit: ['role'] }));
    expect(principal.role).toBe('reader');
  });

  it('a role that is not a string, or not a configured role, is refused', async () => {
    expect(await outcome(await mint({ claims: { role: ['admin'] } }))).toBe('AUTH_INVALID');
    const strict = verifierFor([issuer({ issuer: HS_ISS, algorithms: ['HS256'], secret: HS_SECRET })], { knownRoles: new Set(['reader']) });
    expect(await outcome(await mint({ claims: { role: 'superuser' } }), strict)).toBe('AUTH_UNKNOWN_ROLE');
    expect(await outcome(await mint({ claims: { role: 'reader' } }), strict)).toBe('accepted');
  });

  it('a role claim named like an Object.prototype member does not read the prototype', async () => {
    const odd = verifierFor([issuer({ issuer: HS_ISS, algorithms: ['HS256'], secret: HS_SECRET, role_claim: 'constructor' })]);
    expect(await outcome(await mint(), odd)).toBe('AUTH_UNKNOWN_ROLE');
  });

  it('malformed scopes (a number, a scope with a quote) are refused', async () => {
    expect(await outcome(await mint({ claims: { scope: 42 } }))).toBe('AUTH_INVALID');
    expect(await outcome(await mint({ claims: { scope: 'db:read "x' } }))).toBe('AUTH_INVALID');
  });
});

describe('configuration the verifier cannot enforce stops the start', () => {
  it('the same issuer twice', () => {
    const hs = issuer({ issuer: HS_ISS, algorithms: ['HS256'], secret: HS_SECRET });
    expect(() => verifierFor([hs, hs])).toThrow(/issuers\[1\]\.issuer/);
  });

  it('a JWKS URL over plain http to a non-loopback host', () => {
    const remote = issuer({ issuer: RS_ISS, algorithms: ['RS256'], jwks_url: 'http://idp.example.test/jwks' });
    expect(() => verifierFor([remote])).toThrow(/jwks_url: use an https/);
  });

  it('a private key where the public key belongs', async () => {
    const pem = await exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey);
    expect(() => verifierFor([issuer({ issuer: RS_ISS, algorithms: ['RS256'], public_key: pem })])).toThrow(/private key/);
  });

  it('a PEM that does not import: ready() rejects naming the key', async () => {
    const broken = verifierFor([issuer({ issuer: RS_ISS, algorithms: ['RS256'], public_key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })]);
    await expect(broken.ready()).rejects.toThrow(/issuers\[0\]\.public_key/);
    expect(await outcome(await mintRs(), broken)).toBe('AUTH_INVALID');
  });
});
