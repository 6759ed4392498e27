/**
 * Doctor items for what crosses the network in clear text: an unauthenticated metrics
 * listener off loopback, a JWKS fetched over http, Redis and database links to another
 * host without TLS. Each bad configuration is named by key; each good one passes; and
 * no detail ever carries the password of the URL it judges.
 */
import { describe, expect, it } from 'vitest';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { CONFIG_TEMPLATE } from '../../src/cli/init.js';
import { parseDocument } from 'yaml';
import { checkConfig } from '../../src/doctor/checks.js';
import { checkDatabaseTls, checkJwksUrls, checkMetricsListen, checkNetworkLinks, checkRedisTls, checkTrustedProxies } from '../../src/doctor/network.js';
import { checkSecretsInFile } from '../../src/doctor/secrets.js';

const PASSWORD = 'pw-in-url-9f3a';

function config(raw: Record<string, unknown> = {}): BastionConfig {
  return configSchema.parse({ sources: { demo: { engine: 'pglite' } }, ...raw });
}

function jwks(url: string): Record<string, unknown> {
  return { auth: { jwt: { issuers: [{ issuer: 'https://idp.example.com', audience: 'bastion', algorithms: ['RS256'], jwks_url: url }] } } };
}

const postgresSource = (url: string): Record<string, unknown> => ({ sources: { main: { engine: 'postgres', url } } });
const mysqlSource = (url: string): Record<string, unknown> => ({ sources: { shop: { engine: 'mysql', url } } });

describe('doctor network checks', () => {
  it('the default configuration, and the file `bastion init` writes, pass every one of them', () => {
    expect(checkNetworkLinks(config()).map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    const initial = configSchema.parse(parseDocument(CONFIG_TEMPLATE).toJS());
    expect(checkNetworkLinks(initial).map((c) => [c.id, c.status])).toEqual([
      ['metrics-listen', 'pass'],
      ['jwks-url', 'pass'],
      ['redis-tls', 'pass'],
      ['database-tls', 'pass'],
      ['trusted-proxies', 'pass'],
    ]);
    // And they are part of the configuration checklist.
    expect(checkConfig(initial).map((c) => c.id)).toEqual(expect.arrayContaining(['metrics-listen', 'jwks-url', 'redis-tls', 'database-tls', 'trusted-proxies']));
  });

  it('metrics-listen: a non-loopback address fails (the listener has no authentication); loopback and the main listener pass', () => {
    const bad = checkMetricsListen(config({ metrics: { enabled: true, listen: '0.0.0.0:9464' } }));
    expect(bad.status).toBe('fail');
    expect(bad.detail).toContain('metrics.listen');
    expect(bad.fix).toContain('127.0.0.1:9464');
    expect(checkMetricsListen(config({ metrics: { enabled: true, listen: '10.0.0.5:9464' } })).status).toBe('fail');
    expect(checkMetricsListen(config({ metrics: { enabled: true, listen: '127.0.0.1:9464' } })).status).toBe('pass');
    expect(checkMetricsListen(config({ metrics: { enabled: true, listen: '[::1]:9464' } })).status).toBe('pass');
    expect(checkMetricsListen(config({ metrics: { enabled: true } })).status).toBe('pass');
  });

  it('jwks-url: plain http to another host fails, naming the issuer key; https or loopback http passes', () => {
    const bad = checkJwksUrls(config(jwks('http://idp.example.com/.well-known/jwks.json')));
    expect(bad.status).toBe('fail');
    expect(bad.detail).toContain('auth.jwt.issuers[0].jwks_url');
    expect(bad.detail).toContain('idp.example.com');
    expect(checkJwksUrls(config(jwks('https://idp.example.com/.well-known/jwks.json'))).status).toBe('pass');
    expect(checkJwksUrls(config(jwks('http://127.0.0.1:8080/jwks.json'))).status).toBe('pass');
    expect(checkJwksUrls(config(jwks('http://localhost:8080/jwks.json'))).status).toBe('pass');
  });

  it('redis-tls: redis:// to another host warns, naming the key and the host but not the password; rediss:// or loopback passes', () => {
    const bad = checkRedisTls(config({ redis: { url: `redis://default:${PASSWORD}@cache.internal:6379/0` } }));
    expect(bad.status).toBe('warn');
    expect(bad.detail).toContain('redis.url');
    expect(bad.detail).toContain('cache.internal');
    expect(JSON.stringify(bad)).not.toContain(PASSWORD);
    expect(checkRedisTls(config({ redis: { url: 'rediss://cache.internal:6380' } })).status).toBe('pass');
    expect(checkRedisTls(config({ redis: { url: 'redis://127.0.0.1:6379' } })).status).toBe('pass');
    expect(checkRedisTls(config()).status).toBe('pass');
  });

  it('a password written literally in redis.url is already a failing secrets-in-file item', () => {
    const text = ['sources:', '  demo:', '    engine: pglite', 'redis:', `  url: redis://default:${PASSWORD}@cache.internal:6379`, ''].join('\n');
    const check = checkSecretsInFile(text, 'bastion.yaml');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('redis.url');
    expect(check.detail).not.toContain(PASSWORD);
  });

  it('database-tls: a PostgreSQL URL to another host without sslmode=require|verify-ca|verify-full warns, naming the key, never the password', () => {
    const bad = checkDatabaseTls(config(postgresSource(`postgres://app:${PASSWORD}@db.example.com:5432/app`)));
    expect(bad.status).toBe('warn');
    expect(bad.detail).toContain('sources.main.url');
    expect(bad.detail).toContain('db.example.com');
    expect(JSON.stringify(bad)).not.toContain(PASSWORD);
    expect(checkDatabaseTls(config(postgresSource('postgres://app@db.example.com/app?sslmode=prefer'))).status).toBe('warn');
    expect(checkDatabaseTls(config(postgresSource('postgres://app@db.example.com/app?sslmode=disable'))).status).toBe('warn');
    for (const good of [
      'postgres://app@db.example.com/app?sslmode=verify-full',
      'postgres://app@db.example.com/app?sslmode=require',
      'postgres://app@127.0.0.1:5432/app',
      'postgres://app@localhost/app',
      'postgres://app@[::1]:5432/app',
      'postgres:///app?host=/var/run/postgresql',
    ]) {
      expect(checkDatabaseTls(config(postgresSource(good))).status, good).toBe('pass');
    }
  });

  it('database-tls: state.url and audit.postgres.url are PostgreSQL links too', () => {
    const state = checkDatabaseTls(config({ state: { url: 'postgres://bastion@state.example.com/bastion' } }));
    expect(state.status).toBe('warn');
    expect(state.detail).toContain('state.url');
    const audit = checkDatabaseTls(config({ audit: { postgres: { url: 'postgres://bastion@audit.example.com/bastion' } } }));
    expect(audit.detail).toContain('audit.postgres.url');
  });

  it('database-tls: a MySQL URL to another host without ssl warns; with ssl, on loopback or on a socket it passes', () => {
    const bad = checkDatabaseTls(config(mysqlSource(`mysql://app:${PASSWORD}@mysql.example.com:3306/shop`)));
    expect(bad.status).toBe('warn');
    expect(bad.detail).toContain('sources.shop.url');
    expect(JSON.stringify(bad)).not.toContain(PASSWORD);
    expect(checkDatabaseTls(config(mysqlSource('mysql://app@mysql.example.com/shop?ssl=false'))).status).toBe('warn');
    const ssl = encodeURIComponent('{"rejectUnauthorized":true}');
    expect(checkDatabaseTls(config(mysqlSource(`mysql://app@mysql.example.com/shop?ssl=${ssl}`))).status).toBe('pass');
    expect(checkDatabaseTls(config(mysqlSource('mariadb://app@127.0.0.1:3306/shop'))).status).toBe('pass');
    expect(checkDatabaseTls(config(mysqlSource('mysql://app@localhost/shop?socketPath=/run/mysqld/mysqld.sock'))).status).toBe('pass');
  });
});

describe('doctor: whose X-Forwarded-For is believed', () => {
  const http = (settings: Record<string, unknown>): BastionConfig => config({ server: { http: settings } });

  it('fails on a trusted range that takes in every address, naming it', () => {
    for (const everyone of ['0.0.0.0/0', '::/0']) {
      const check = checkTrustedProxies(http({ trusted_proxies: ['10.0.0.1', everyone] }));
      expect(check.status).toBe('fail');
      expect(check.detail).toContain(everyone);
    }
  });

  it('passes listed proxies, and no proxy on loopback', () => {
    expect(checkTrustedProxies(http({ trusted_proxies: ['10.0.0.0/8'] })).status).toBe('pass');
    expect(checkTrustedProxies(config()).status).toBe('pass');
  });

  it('warns when TLS is terminated by a proxy that is not listed: the throttle and the audit see only the proxy', () => {
    const check = checkTrustedProxies(http({ host: '0.0.0.0', tls_terminated_by_proxy: true }));
    expect(check.status).toBe('warn');
    expect(check.fix).toContain('server.http.trusted_proxies');
  });
});
