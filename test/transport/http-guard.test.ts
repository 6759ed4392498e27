/**
 * The HTTP guard stage on its own: Host and Origin allow-lists (DNS rebinding and
 * cross-site browser requests), the JSON depth pre-check, and the loopback test the
 * --no-auth bind rule relies on. Configs go through the real schema, so defaults
 * are the shipped ones.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { configSchema, type HttpConfig } from '../../src/config/schema.js';
import { createHttpGuard, jsonDepthExceeds } from '../../src/transport/http/guard.js';
import { isLoopbackAddress } from '../../src/util/loopback.js';

function httpConfig(http: Record<string, unknown> = {}): HttpConfig {
  return configSchema.parse({ sources: { demo: { engine: 'pglite' } }, server: { http } }).server.http;
}

function request(headers: { host?: string; origin?: string }): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

function statusFor(config: HttpConfig, headers: { host?: string; origin?: string }): number {
  return createHttpGuard(config).checkHostAndOrigin(request(headers))?.status ?? 200;
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

describe('createHttpGuard: Host header (DNS rebinding)', () => {
  const defaults = httpConfig();

  it.each(['127.0.0.1:7300', '127.0.0.1', 'localhost:7300', 'localhost', 'LOCALHOST:7300', '[::1]:7300', '[::1]'])(
    'accepts the loopback Host %s with the default config',
    (host) => {
      expect(statusFor(defaults, { host })).toBe(200);
    },
  );

  it.each([
    ['evil.example', 'a foreign name'],
    ['evil.example:7300', 'a foreign name with the right port'],
    ['localhost.evil.com', 'a name that starts with localhost'],
    ['localhost.evil.com:7300', 'a name that starts with localhost, with a port'],
    ['127.0.0.1.nip.io:7300', 'a rebinding name that embeds 127.0.0.1'],
    ['evil.localhost:7300', 'a subdomain of localhost'],
    ['[::2]:7300', 'a non-loopback IPv6 literal'],
    ['0.0.0.0:7300', 'the wildcard address'],
    ['', 'an empty Host'],
  ])('refuses the Host %j (%s) with 403', (host) => {
    const rejection = createHttpGuard(defaults).checkHostAndOrigin(request({ host }));
    expect(rejection).toEqual({ status: 403, message: 'Forbidden: Host not allowed' });
  });

  it('refuses a request with no Host header at all', () => {
    expect(statusFor(defaults, {})).toBe(403);
  });

  it('configured allowed_hosts accept that name with or without a port and in any case, and nothing around it', () => {
    const config = httpConfig({ allowed_hosts: ['bastion.internal'] });
    expect(statusFor(config, { host: 'bastion.internal' })).toBe(200);
    expect(statusFor(config, { host: 'bastion.internal:7300' })).toBe(200);
    expect(statusFor(config, { host: 'BASTION.Internal:7300' })).toBe(200);
    expect(statusFor(config, { host: 'evil.bastion.internal' })).toBe(403);
    expect(statusFor(config, { host: 'bastion.internal.evil.com' })).toBe(403);
    // Loopback names stay accepted next to the configured ones.
    expect(statusFor(config, { host: '127.0.0.1:7300' })).toBe(200);
  });

  it('an allowed_hosts entry with a port accepts only that port', () => {
    const config = httpConfig({ allowed_hosts: ['bastion.internal:8443'] });
    expect(statusFor(config, { host: 'bastion.internal:8443' })).toBe(200);
    expect(statusFor(config, { host: 'bastion.internal:9999' })).toBe(403);
    expect(statusFor(config, { host: 'bastion.internal' })).toBe(403);
  });

  // A server bound to any loopback address must accept that address as its Host.
  it('a loopback bind address such as 127.0.0.2 is also accepted as the Host header', () => {
    expect(isLoopbackAddress('127.0.0.2')).toBe(true);
    expect(statusFor(defaults, { host: '127.0.0.2:7300' })).toBe(200);
  });

  it('a Host allowed only by the config of another guard is refused by this one (options compiled per guard)', () => {
    createHttpGuard(httpConfig({ allowed_hosts: ['bastion.internal'] }));
    expect(statusFor(defaults, { host: 'bastion.internal' })).toBe(403);
  });
});

describe('createHttpGuard: Origin header (cross-site browser requests)', () => {
  const defaults = httpConfig();
  const host = '127.0.0.1:7300';

  it('accepts a request without Origin (not a browser)', () => {
    expect(statusFor(defaults, { host })).toBe(200);
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:7300', 'https://localhost', 'http://[::1]:5173'])('accepts the loopback Origin %s', (origin) => {
    expect(statusFor(defaults, { host, origin })).toBe(200);
  });

  it.each([
    'https://evil.example',
    'http://localhost.evil.com',
    'http://127.0.0.1.nip.io',
    'null',
    'file://',
    'chrome-extension://abcdefghijklmnop',
    'ws://localhost:3000',
    'not a url',
    '',
  ])('refuses the Origin %j with 403', (origin) => {
    const rejection = createHttpGuard(defaults).checkHostAndOrigin(request({ host, origin }));
    expect(rejection).toEqual({ status: 403, message: 'Forbidden: Origin not allowed' });
  });

  it('configured allowed_origins accept exactly that scheme, host and port', () => {
    const config = httpConfig({ allowed_origins: ['https://app.example.com'] });
    expect(statusFor(config, { host, origin: 'https://app.example.com' })).toBe(200);
    expect(statusFor(config, { host, origin: 'https://app.example.com:443' })).toBe(200);
    expect(statusFor(config, { host, origin: 'http://app.example.com' })).toBe(403);
    expect(statusFor(config, { host, origin: 'https://app.example.com:8443' })).toBe(403);
    expect(statusFor(config, { host, origin: 'https://app.example.com.evil.com' })).toBe(403);
    expect(statusFor(config, { host, origin: 'https://evil.app.example.com' })).toBe(403);
  });

  it('an allowed_origins entry written with a path or trailing slash still matches its origin', () => {
    const config = httpConfig({ allowed_origins: ['https://app.example.com/some/path/'] });
    expect(statusFor(config, { host, origin: 'https://app.example.com' })).toBe(200);
  });

  it('the Host check comes first: a good Origin does not rescue a forged Host', () => {
    const rejection = createHttpGuard(defaults).checkHostAndOrigin(request({ host: 'evil.example', origin: 'http://localhost:3000' }));
    expect(rejection?.message).toBe('Forbidden: Host not allowed');
  });
});

describe('createHttpGuard: limits', () => {
  it('exposes the shipped defaults: 1 MiB body and JSON depth 64', () => {
    const guard = createHttpGuard(httpConfig());
    expect(guard.maxBodyBytes).toBe(1024 * 1024);
    expect(guard.maxJsonDepth).toBe(64);
  });

  it('exposes configured limits', () => {
    const guard = createHttpGuard(httpConfig({ max_body_bytes: 4096, max_json_depth: 8 }));
    expect(guard.maxBodyBytes).toBe(4096);
    expect(guard.maxJsonDepth).toBe(8);
  });
});

describe('jsonDepthExceeds', () => {
  it('depth equal to the limit passes; one more exceeds (arrays and objects)', () => {
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
    expect(jsonDepthExceeds(nested(65), 64)).toBe(true);
    const objects = (n: number): string => `${'{"a":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`;
    expect(jsonDepthExceeds(objects(64), 64)).toBe(false);
    expect(jsonDepthExceeds(objects(65), 64)).toBe(true);
  });

  it('measures the deepest point, not the number of brackets: many siblings are shallow', () => {
    const siblings = `[${Array.from({ length: 1000 }, () => '[]').join(',')}]`;
    expect(jsonDepthExceeds(siblings, 2)).toBe(false);
    expect(jsonDepthExceeds(siblings, 1)).toBe(true);
  });

  it('scalars and an empty text have depth 0', () => {
    expect(jsonDepthExceeds('42', 0)).toBe(false);
    expect(jsonDepthExceeds('"x"', 0)).toBe(false);
    expect(jsonDepthExceeds('', 0)).toBe(false);
    expect(jsonDepthExceeds('{}', 0)).toBe(true);
  });

  it('brackets inside strings do not count toward depth', () => {
    const text = JSON.stringify({ sql: `SELECT '${'['.repeat(500)}${'{'.repeat(500)}'` });
    expect(jsonDepthExceeds(text, 1)).toBe(false);
  });

  it('an escaped quote does not end the string: the brackets after it still do not count', () => {
    const text = JSON.stringify({ s: `"${'['.repeat(100)}` });
    expect(text).toContain('\\"[[[');
    expect(jsonDepthExceeds(text, 1)).toBe(false);
  });

  it('an escaped backslash before the closing quote ends the string: the brackets after it do count', () => {
    const text = JSON.stringify(['\\', [[1]]]);
    expect(text).toBe('["\\\\",[[1]]]');
    expect(jsonDepthExceeds(text, 3)).toBe(false);
    expect(jsonDepthExceeds(text, 2)).toBe(true);
  });

  it('agrees with the nesting JSON.parse builds for a mixed document', () => {
    const doc = { a: [{ b: [1, { c: '[{' }] }], d: { e: { f: [] } } };
    // a: { [ { [ { ... } ] } ] } → depth 5; d: { { { [ ] } } } → depth 4.
    expect(jsonDepthExceeds(JSON.stringify(doc), 5)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify(doc), 4)).toBe(true);
  });

  it('a body of only opening brackets (never closed, 5 MB) exceeds the limit', () => {
    expect(jsonDepthExceeds('['.repeat(5_000_000), 64)).toBe(true);
  });
});

describe('isLoopbackAddress (the --no-auth bind rule)', () => {
  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', '::1', '[::1]', '127.0.0.2', '127.255.255.254'])('%s is loopback', (host) => {
    expect(isLoopbackAddress(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '[::]',
    '192.168.1.10',
    '10.0.0.1',
    'localhost.evil.com',
    'evil.localhost',
    '127.0.0.1.evil.com',
    '1127.0.0.1',
    '127.0.0',
    '::ffff:0.0.0.0',
    'example.com',
    '',
  ])('%j is not loopback', (host) => {
    expect(isLoopbackAddress(host)).toBe(false);
  });
});
