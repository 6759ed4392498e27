import { describe, expect, it } from 'vitest';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { checkAuditSettings, checkAuth, checkConfig, checkCors, checkHttpExposure, checkJwtLifetime, checkRateLimits, checkWrites } from '../../src/doctor/checks.js';

const SECRET = 'x'.repeat(40);
const TLS = { cert_file: 'c.pem', key_file: 'k.pem' };

function config(raw: Record<string, unknown> = {}): BastionConfig {
  return configSchema.parse({ sources: { demo: { engine: 'pglite' } }, ...raw });
}

describe('doctor configuration checks', () => {
  it('the default configuration (the embedded demo) has no failing item', () => {
    const statuses = checkConfig(config()).map((c) => c.status);
    expect(statuses).not.toContain('fail');
  });

  it('http-exposure: a network bind without TLS fails; loopback, TLS, or TLS terminated by a proxy passes (the rule serve enforces)', () => {
    const bare = checkHttpExposure(config({ server: { http: { host: '0.0.0.0' } } }));
    expect(bare.status).toBe('fail');
    expect(bare.fix).toContain('tls_terminated_by_proxy');
    expect(checkHttpExposure(config({ server: { http: { host: '0.0.0.0', tls_terminated_by_proxy: true } } })).status).toBe('pass');
    expect(checkHttpExposure(config({ server: { http: { host: '0.0.0.0', tls: TLS } } })).status).toBe('pass');
    expect(checkHttpExposure(config({ server: { http: { host: '::1' } } })).status).toBe('pass');
  });

  it('auth: no method at all fails on a network bind and warns on loopback', () => {
    const none = { api_keys: { enabled: false } };
    expect(checkAuth(config({ auth: none, server: { http: { host: '0.0.0.0' } } })).status).toBe('fail');
    expect(checkAuth(config({ auth: none })).status).toBe('warn');
    const mtls = { host: '0.0.0.0', tls: { ...TLS, client_ca_file: 'ca.pem' } };
    expect(checkAuth(config({ auth: none, server: { http: mtls } })).status).toBe('pass');
    const jwt = { ...none, jwt: { issuers: [{ issuer: 'i', audience: 'a', algorithms: ['HS256'], secret: SECRET }] } };
    expect(checkAuth(config({ auth: jwt, server: { http: { host: '0.0.0.0' } } })).status).toBe('pass');
  });

  it('cors: a wildcard origin and a wildcard host each fail, named in the detail', () => {
    const checks = checkCors(config({ server: { http: { allowed_origins: ['https://*.example.com'], allowed_hosts: ['*'] } } }));
    expect(checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(checks[0]?.detail).toContain('https://*.example.com');
    expect(checkCors(config({ server: { http: { allowed_origins: ['https://app.example.com'] } } }))[0]?.status).toBe('pass');
  });

  it('rate-limits: above 10,000 per minute warns, for the global limit and a role override', () => {
    expect(checkRateLimits(config({ rate_limits: { per_principal_per_minute: 10_001 } })).status).toBe('warn');
    expect(checkRateLimits(config({ roles: { bot: { rate_limit_per_minute: 50_000 } } })).detail).toContain('roles.bot');
    expect(checkRateLimits(config({ rate_limits: { per_principal_per_minute: 10_000 } })).status).toBe('pass');
  });

  it('audit: disabled fails, unkeyed warns, keyed passes', () => {
    expect(checkAuditSettings(config({ audit: { enabled: false } })).status).toBe('fail');
    expect(checkAuditSettings(config()).status).toBe('warn');
    expect(checkAuditSettings(config({ audit: { key: SECRET } })).status).toBe('pass');
  });

  it('writes: approval none on a writable source and allow_unbounded each warn', () => {
    const sources = { app: { engine: 'pglite', writes: { enabled: true, allow_unbounded: true } } };
    const checks = checkWrites(config({ sources, roles: { robot: { approval: { 'a*': 'none' } } } }));
    expect(checks.map((c) => c.status)).toEqual(['warn', 'warn']);
    expect(checks[0]?.detail).toContain('robot');
    // approval: none for a read-only source changes nothing.
    expect(checkWrites(config({ roles: { robot: { approval: { '*': 'none' } } } }))[0]?.status).toBe('pass');
  });

  it('writes: replicas (state.url) with writes and no audit.key warn that in-client approvals do not cross replicas', () => {
    const sources = { app: { engine: 'pglite', writes: { enabled: true } } };
    const state = { url: 'postgres://bastion@db.internal/state' };
    const checks = checkWrites(config({ sources, state }));
    expect(checks.map((c) => c.status)).toEqual(['warn']);
    expect(checks[0]?.detail).toContain('audit.key');
    expect(checkWrites(config({ sources, state, audit: { key: SECRET } }))[0]?.status).toBe('pass');
    expect(checkWrites(config({ sources }))[0]?.status).toBe('pass');
  });

  it('jwt-lifetime: an issuer accepting tokens over 24 h warns', () => {
    const issuer = { issuer: 'i', audience: 'a', algorithms: ['HS256'], secret: SECRET };
    expect(checkJwtLifetime(config({ auth: { jwt: { issuers: [{ ...issuer, max_lifetime_s: 7 * 86400 }] } } })).status).toBe('warn');
    expect(checkJwtLifetime(config({ auth: { jwt: { issuers: [issuer] } } })).status).toBe('pass');
  });
});
