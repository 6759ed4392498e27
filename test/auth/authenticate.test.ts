import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { AuthError } from '../../src/auth/identity/errors.js';
import type { Principal } from '../../src/auth/identity/principal.js';

const KEY = `ak_${'A'.repeat(43)}`;
const alice: Principal = { id: 'key:alice', kind: 'api_key', role: 'reader', scopes: [] };
const authenticate = createAuthenticator({
  apiKeys: { verify: async (token) => (token === KEY ? alice : undefined) },
  roles: new Set(['reader']),
});

function request(rawHeaders: string[], url = '/mcp'): IncomingMessage {
  return { rawHeaders, url, socket: {} } as unknown as IncomingMessage;
}

async function failure(req: IncomingMessage): Promise<string> {
  try {
    await authenticate(req);
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  return 'AUTHENTICATED';
}

describe('the authenticate stage', () => {
  it('a valid API key in the Authorization header is the principal', async () => {
    await expect(authenticate(request(['Authorization', `Bearer ${KEY}`]))).resolves.toEqual(alice);
  });

  it('a second Authorization header is refused, even when one of them is valid', async () => {
    expect(await failure(request(['authorization', `Bearer ${KEY}`, 'Authorization', 'Bearer other']))).toBe('AUTH_INVALID');
  });

  it('a credential in the URL is refused even next to a valid header', async () => {
    expect(await failure(request(['Authorization', `Bearer ${KEY}`], `/mcp?access_token=${KEY}`))).toBe('AUTH_TOKEN_IN_URL');
  });

  it('no credentials and another scheme are both "missing"', async () => {
    expect(await failure(request([]))).toBe('AUTH_MISSING');
    expect(await failure(request(['Authorization', 'Basic dXNlcjpwYXNz']))).toBe('AUTH_MISSING');
  });

  it('an unknown key and a JWT without a configured issuer are invalid', async () => {
    expect(await failure(request(['Authorization', `Bearer ak_${'B'.repeat(43)}`]))).toBe('AUTH_INVALID');
    // secret-scan: allow (a made-up token with a fake signature)
    expect(await failure(request(['Authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig']))).toBe('AUTH_INVALID');
  });

  it('a principal whose role is not configured is refused', async () => {
    const strict = createAuthenticator({ apiKeys: { verify: async () => ({ ...alice, role: 'ghost' }) }, roles: new Set(['reader']) });
    await expect(strict(request(['Authorization', `Bearer ${KEY}`]))).rejects.toMatchObject({ code: 'AUTH_UNKNOWN_ROLE' });
  });
});
