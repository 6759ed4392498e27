/**
 * Which address a request is counted and audited under: the socket's peer, unless the
 * peer is a listed proxy, and then the first address from the right of X-Forwarded-For
 * that is not a listed proxy. A client can write any X-Forwarded-For it likes; these
 * tests check that what it writes never decides its address unless a trusted proxy vouched.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createClientAddress } from '../../src/transport/http/client-address.js';

function request(peer: string | undefined, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('client address without trusted proxies', () => {
  const addressOf = createClientAddress([]);

  it('is the socket peer, and a forged X-Forwarded-For is ignored', () => {
    expect(addressOf(request('192.0.2.1', '198.51.100.7'))).toBe('192.0.2.1');
  });

  it('writes an IPv4 client of a dual-stack socket as IPv4', () => {
    expect(addressOf(request('::ffff:192.0.2.1'))).toBe('192.0.2.1');
  });
});

describe('client address behind trusted proxies', () => {
  const addressOf = createClientAddress(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it('takes the address a trusted proxy appended', () => {
    expect(addressOf(request('127.0.0.1', '198.51.100.7'))).toBe('198.51.100.7');
    expect(addressOf(request('::ffff:127.0.0.1', '198.51.100.7'))).toBe('198.51.100.7');
  });

  it('skips every trusted proxy of a chain, from the right', () => {
    expect(addressOf(request('10.0.0.1', '203.0.113.5, 10.0.0.2, fd00::3'))).toBe('203.0.113.5');
  });

  it('attack: addresses the client wrote left of the first untrusted hop are never used', () => {
    // The client sent "X-Forwarded-For: 192.0.2.99, 10.0.0.9"; the proxy appended the client's real address.
    expect(addressOf(request('127.0.0.1', '192.0.2.99, 10.0.0.9, 203.0.113.5'))).toBe('203.0.113.5');
  });

  it('attack: X-Forwarded-For from a peer that is not a listed proxy is ignored', () => {
    expect(addressOf(request('192.0.2.1', '198.51.100.7'))).toBe('192.0.2.1');
  });

  it('reads the ports and brackets some proxies write', () => {
    expect(addressOf(request('127.0.0.1', '203.0.113.5:4711'))).toBe('203.0.113.5');
    expect(addressOf(request('127.0.0.1', '[2001:db8::5]:443'))).toBe('2001:db8::5');
    expect(addressOf(request('127.0.0.1', '2001:db8::6'))).toBe('2001:db8::6');
  });

  it('falls back to the last trusted hop when a proxy vouched for something that is not an address', () => {
    expect(addressOf(request('127.0.0.1', 'unknown'))).toBe('127.0.0.1');
    expect(addressOf(request('127.0.0.1', '203.0.113.5, 10.0.0.4, unknown'))).toBe('127.0.0.1');
    expect(addressOf(request('127.0.0.1', '203.0.113.5, garbage, 10.0.0.4'))).toBe('10.0.0.4');
  });

  it('is the leftmost hop when every hop is a trusted proxy, and the peer when there is no header', () => {
    expect(addressOf(request('127.0.0.1', '10.0.0.3, 10.0.0.2'))).toBe('10.0.0.3');
    expect(addressOf(request('127.0.0.1'))).toBe('127.0.0.1');
  });
});

describe('server.http.trusted_proxies in the configuration', () => {
  const parse = (trusted_proxies: unknown) => configSchema.safeParse({ sources: { demo: { engine: 'pglite' } }, server: { http: { trusted_proxies } } });

  it('accepts addresses and CIDR ranges of both families, and defaults to none', () => {
    expect(parse(['10.0.0.5', '10.0.0.0/8', '::1', 'fd00::/8']).success).toBe(true);
    expect(configSchema.parse({ sources: { demo: { engine: 'pglite' } } }).server.http.trusted_proxies).toEqual([]);
  });

  it.each([['10.0.0.0/33'], ['proxy.example.com'], ['10.0.0.0/8/8'], ['fd00::/129'], ['10.0.0.0/']])('refuses %s, naming the key', (entry) => {
    const result = parse([entry]);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('trusted_proxies');
  });
});
