/**
 * The HTTP face of the resource server: where a token may come from (the
 * Authorization header only, never the URL), the RFC 9728 metadata document and
 * the WWW-Authenticate challenges for 401, 403 and 400.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AuthError, type AuthFailureCode } from '../../src/auth/identity/errors.js';
import {
  bearerChallenge,
  canonicalResource,
  protectedResourceMetadata,
  resourceMetadataUrl,
  tokenFromRequest,
  type RequestHeaders,
} from '../../src/auth/resource-metadata.js';
import { authSchema } from '../../src/config/schema-access.js';

// secret-scan: allow (a made-up token with a fake signature)
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

function refusal(headers: RequestHeaders, url: string): AuthFailureCode | 'accepted' {
  try {
    tokenFromRequest(headers, url);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    return error.code;
  }
}

describe('tokenFromRequest: the Authorization header is the only place a token may come from', () => {
  it('reads Authorization: Bearer <token>, the scheme in any case', () => {
    expect(tokenFromRequest({ authorization: `Bearer ${TOKEN}` }, '/mcp')).toEqual({ kind: 'bearer', token: TOKEN });
    expect(tokenFromRequest({ authorization: `bearer ${TOKEN}` }, '/mcp')).toEqual({ kind: 'bearer', token: TOKEN });
    expect(tokenFromRequest({ Authorization: [`BEARER ${TOKEN}`] }, '/mcp')).toEqual({ kind: 'bearer', token: TOKEN });
  });

  it('no Authorization header is no token', () => {
    expect(tokenFromRequest({ host: '127.0.0.1' }, '/mcp?session=1')).toEqual({ kind: 'none' });
  });

  it.each(['access_token', 'ACCESS_TOKEN', 'token', 'api_key', 'apikey', 'key', 'auth', 'authorization', 'Authorization', 'access%5Ftoken'])(
    'a token in the query string (?%s=) is refused, even next to a valid header',
    (param) => {
      expect(refusal({}, `/mcp?${param}=${TOKEN}`)).toBe('AUTH_TOKEN_IN_URL');
      expect(refusal({ authorization: `Bearer ${TOKEN}` }, `/mcp?a=1&${param}=x`)).toBe('AUTH_TOKEN_IN_URL');
    },
  );

  it('a token in the query string of an absolute URL object is refused too', () => {
    expect(refusal({}, new URL(`https://bastion.example.test/mcp?access_token=${TOKEN}`).href)).toBe('AUTH_TOKEN_IN_URL');
  });

  it.each([`Basic ${Buffer.from('user:pass').toString('base64')}`, `Token ${TOKEN}`, `Digest username="a"`, TOKEN])(
    'another scheme (%s) is refused as no usable credentials',
    (value) => {
      expect(refusal({ authorization: value }, '/mcp')).toBe('AUTH_MISSING');
    },
  );

  it.each(['Bearer', 'Bearer ', `Bearer ${TOKEN} extra`, `Bearer "${TOKEN}"`, `Bearer ${TOKEN}, Bearer ${TOKEN}`, 'Bearer a\u0000b'])(
    'a malformed Bearer value (%j) is refused',
    (value) => {
      expect(refusal({ authorization: value }, '/mcp')).toBe('AUTH_INVALID');
    },
  );

  it('two Authorization headers are refused (seen through req.headersDistinct on a real request)', async () => {
    let seen: IncomingMessage | undefined;
    const server = createServer((req, res) => {
      seen = req;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // A raw request, so both header lines reach the server exactly as an attacker would send them.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(`GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nAuthorization: Bearer other\r\nConnection: close\r\n\r\n`);
      });
      socket.on('error', reject).on('close', () => resolve()).resume();
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // node's req.headers keeps only the first Authorization header, hiding the second one.
    expect(seen!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(refusal(seen!.headersDistinct, seen!.url!)).toBe('AUTH_INVALID');
  });
});

describe('protected-resource metadata (RFC 9728)', () => {
  const auth = authSchema.parse({ resource: 'https://Bastion.Example.test/mcp', authorization_servers: ['https://idp.example.test'] });

  it('the canonical resource is auth.resource with a lower-case host, else the server URL', () => {
    expect(canonicalResource(auth, 'http://127.0.0.1:7300/mcp')).toBe('https://bastion.example.test/mcp');
    expect(canonicalResource(authSchema.parse({}), 'http://127.0.0.1:7300/mcp')).toBe('http://127.0.0.1:7300/mcp');
    expect(canonicalResource(authSchema.parse({ resource: 'https://bastion.example.test/' }), 'http://x')).toBe('https://bastion.example.test');
  });

  it('a resource with a fragment or query is a configuration error', () => {
    expect(() => canonicalResource(authSchema.parse({ resource: 'https://bastion.example.test/mcp#x' }), 'http://x')).toThrow(/auth\.resource/);
    expect(() => canonicalResource(authSchema.parse({ resource: 'https://bastion.example.test/mcp?a=1' }), 'http://x')).toThrow(/auth\.resource/);
  });

  it('the metadata URL puts the well-known segment between host and path', () => {
    expect(resourceMetadataUrl('https://bastion.example.test/mcp')).toBe('https://bastion.example.test/.well-known/oauth-protected-resource/mcp');
    expect(resourceMetadataUrl('https://bastion.example.test:8443')).toBe('https://bastion.example.test:8443/.well-known/oauth-protected-resource');
  });

  it('the document names the resource, its authorization servers, header-only bearer tokens and the scopes', () => {
    const resource = canonicalResource(auth, 'http://127.0.0.1:7300/mcp');
    expect(protectedResourceMetadata(auth, resource, ['db:read', 'db:read', 'db:write'])).toEqual({
      resource: 'https://bastion.example.test/mcp',
      authorization_servers: ['https://idp.example.test'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['db:read', 'db:write'],
    });
  });

  it('without configured authorization servers or scopes those fields are left out', () => {
    expect(protectedResourceMetadata(authSchema.parse({}), 'http://127.0.0.1:7300/mcp')).toEqual({
      resource: 'http://127.0.0.1:7300/mcp',
      bearer_methods_supported: ['header'],
    });
  });
});

describe('WWW-Authenticate challenges (RFC 6750, MCP 2025-11-25)', () => {
  const metadata = 'https://bastion.example.test/.well-known/oauth-protected-resource/mcp';

  it('401 without a token: only the pointer to the metadata, no error code', () => {
    expect(bearerChallenge({ resourceMetadata: metadata })).toBe(`Bearer resource_metadata="${metadata}"`);
  });

  it('401 for a presented token that failed: error="invalid_token" and nothing about which check failed', () => {
    expect(bearerChallenge({ resourceMetadata: metadata, error: 'invalid_token' })).toBe(`Bearer error="invalid_token", resource_metadata="${metadata}"`);
  });

  it('403 insufficient_scope names the scope', () => {
    expect(bearerChallenge({ resourceMetadata: metadata, error: 'insufficient_scope', scope: 'db:write' })).toBe(
      `Bearer error="insufficient_scope", scope="db:write", resource_metadata="${metadata}"`,
    );
  });

  it('400 for a token in the URL: error="invalid_request"', () => {
    expect(bearerChallenge({ resourceMetadata: metadata, error: 'invalid_request' })).toBe(`Bearer error="invalid_request", resource_metadata="${metadata}"`);
  });

  it('values cannot break out of the header: quotes are escaped, control characters and bad scopes refused', () => {
    expect(bearerChallenge({ resourceMetadata: 'https://x.test/"a\\b' })).toBe('Bearer resource_metadata="https://x.test/\\"a\\\\b"');
    expect(() => bearerChallenge({ resourceMetadata: 'https://x.test/\r\nSet-Cookie: a=b' })).toThrow(TypeError);
    expect(() => bearerChallenge({ resourceMetadata: metadata, error: 'insufficient_scope', scope: 'a"b' })).toThrow(TypeError);
  });
});
