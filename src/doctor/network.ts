import type { BastionConfig } from '../config/schema.js';
import { parseListen } from '../metrics/listener.js';
import { isLoopbackAddress } from '../util/loopback.js';
import { fail, pass, warn, type Check } from './check.js';

/**
 * What crosses the network in clear text, from the configuration alone: the metrics
 * listener, the JWKS Bastion trusts for token keys, and the links to Redis and the
 * databases; and whose X-Forwarded-For is believed. The severity follows what an attacker on the path gains. Failing: the
 * metrics listener (no authentication at all) and a JWKS over http (whoever swaps the
 * keys in transit mints any token). Warning: backend links, where TLS is the fix but a
 * private network the doctor cannot see may be a deliberate mitigation. A detail
 * names the key and the host, never the URL: it may carry a password.
 */

/** Where a URL connects: `local` for loopback or a Unix socket, else the host (never the whole URL). */
type Endpoint = { readonly local: true } | { readonly local: false; readonly host: string };

/** `hostParam`: libpq's ?host=, which overrides the URL's host and names a socket folder when it starts with /. */
function endpointOf(url: URL, hostParam: string | null = null): Endpoint {
  if (hostParam?.startsWith('/')) return { local: true };
  const host = (hostParam !== null && hostParam !== '' ? hostParam : url.hostname).replace(/^\[|\]$/g, '');
  // An empty host is libpq's and mysql2's default: the local socket, or localhost.
  if (host === '' || isLoopbackAddress(host)) return { local: true };
  return { local: false, host };
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** metrics.listen serves /metrics without authentication: anything but loopback exposes it. */
export function checkMetricsListen(config: BastionConfig): Check {
  const title = 'Metrics listener';
  const { enabled, listen } = config.metrics;
  if (!enabled) return pass('metrics-listen', title, 'Metrics are off.');
  if (listen === undefined) return pass('metrics-listen', title, '/metrics is served on the main listener, to admins only.');
  const where = parseListen(listen);
  if (where !== undefined && isLoopbackAddress(where.host)) return pass('metrics-listen', title, `metrics.listen is ${listen}, a loopback address.`);
  return fail(
    'metrics-listen',
    title,
    `metrics.listen is ${listen}: the metrics listener has no authentication, so anyone who can reach it reads the server's metrics (serve refuses to start this way).`,
    'Bind metrics.listen to 127.0.0.1:9464, or remove it and scrape /metrics on the main listener with an admin API key.',
  );
}

/** A JWKS fetched over http to another host: keys swapped in transit would make forged tokens verify. */
export function checkJwksUrls(config: BastionConfig): Check {
  const title = 'JWKS URLs';
  const plain = config.auth.jwt.issuers.flatMap((issuer, i) => {
    const url = issuer.jwks_url === undefined ? undefined : parse(issuer.jwks_url);
    if (url === undefined || url.protocol !== 'http:') return [];
    const endpoint = endpointOf(url);
    return endpoint.local ? [] : [`auth.jwt.issuers[${i}].jwks_url (${endpoint.host})`];
  });
  if (plain.length === 0) {
    const count = config.auth.jwt.issuers.filter((i) => i.jwks_url !== undefined).length;
    return pass('jwks-url', title, count === 0 ? 'No issuer uses a JWKS URL.' : `${count} JWKS URL(s), each over https or to a loopback address.`);
  }
  return fail(
    'jwks-url',
    title,
    `${plain.join(', ')} fetches the signing keys over plain http: whoever can change them in transit can mint tokens this server accepts.`,
    'Use the https:// JWKS URL of the issuer (every identity provider serves one).',
  );
}

/** The Redis rate-limit store over the network without TLS (rediss://). */
export function checkRedisTls(config: BastionConfig): Check {
  const title = 'Redis connection';
  if (config.redis === undefined) return pass('redis-tls', title, 'No Redis configured (rate limits are counted in memory).');
  const url = parse(config.redis.url);
  if (url === undefined) return pass('redis-tls', title, 'redis.url does not parse; the server refuses it at start.');
  if (url.protocol === 'rediss:') return pass('redis-tls', title, 'redis.url uses TLS (rediss://).');
  const endpoint = endpointOf(url);
  if (endpoint.local) return pass('redis-tls', title, 'redis.url points to a loopback address.');
  // A warning, not a failure: the counters carry no data, and a private network may be
  // the deliberate protection. But the Redis password and the counters (tampering
  // lifts rate limits) cross the wire in clear text.
  return warn(
    'redis-tls',
    title,
    `redis.url connects to ${endpoint.host} without TLS: its password and the rate-limit counters cross the network in clear text and can be changed in transit.`,
    'Use rediss:// (TLS) for a Redis on another host, or keep it on a private network you trust.',
  );
}

/** Whether a PostgreSQL URL demands TLS: sslmode require or stricter, or ssl=true (node-postgres). */
function postgresRequiresTls(url: URL): boolean {
  const mode = url.searchParams.get('sslmode');
  if (mode !== null) return mode === 'require' || mode === 'verify-ca' || mode === 'verify-full';
  const ssl = url.searchParams.get('ssl');
  return ssl === 'true' || ssl === '1';
}

/** Whether a mysql:// URL turns TLS on: mysql2 reads `ssl` as JSON (an object or a profile name). */
function mysqlRequiresTls(url: URL): boolean {
  const ssl = url.searchParams.get('ssl');
  return ssl !== null && !['', 'false', '0', 'null'].includes(ssl.trim().toLowerCase());
}

interface DatabaseLink {
  readonly key: string;
  readonly url: string;
  readonly engine: 'postgres' | 'mysql';
}

function databaseLinks(config: BastionConfig): DatabaseLink[] {
  const links: DatabaseLink[] = [];
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.engine === 'postgres' || source.engine === 'mysql') links.push({ key: `sources.${name}.url`, url: source.url, engine: source.engine });
  }
  // Shared state and the audit table live in PostgreSQL too, and carry keys and records.
  if (config.state.url !== undefined) links.push({ key: 'state.url', url: config.state.url, engine: 'postgres' });
  if (config.audit.postgres.url !== undefined) links.push({ key: 'audit.postgres.url', url: config.audit.postgres.url, engine: 'postgres' });
  return links;
}

/** Database URLs to another host that do not demand TLS. */
export function checkDatabaseTls(config: BastionConfig): Check {
  const title = 'Database connections';
  const links = databaseLinks(config);
  const plain = links.flatMap(({ key, url, engine }) => {
    const parsed = parse(url);
    if (parsed === undefined) return [];
    // mysql2's ?socketPath= connects through a Unix socket whatever the host says.
    if (engine === 'mysql' && parsed.searchParams.has('socketPath')) return [];
    const endpoint = endpointOf(parsed, engine === 'postgres' ? parsed.searchParams.get('host') : null);
    if (endpoint.local) return [];
    const tls = engine === 'postgres' ? postgresRequiresTls(parsed) : mysqlRequiresTls(parsed);
    return tls ? [] : [`${key} (${endpoint.host})`];
  });
  if (plain.length === 0) {
    const detail = links.length === 0 ? 'No PostgreSQL or MySQL connection.' : 'Each database connection is local or demands TLS.';
    return pass('database-tls', title, detail);
  }
  return warn(
    'database-tls',
    title,
    `${plain.join(', ')} connect${plain.length === 1 ? 's' : ''} to another host without demanding TLS: the password, the queries and the results may cross the network in clear text.`,
    'Add ?sslmode=verify-full (or require) to a PostgreSQL URL, ?ssl={"rejectUnauthorized":true} to a MySQL URL; or keep the database on a private network you trust.',
  );
}

/**
 * server.http.trusted_proxies decides whose X-Forwarded-For is believed. A range that
 * takes in every address lets any client name the address its failed logins are
 * counted and audited under; an empty list behind a TLS-terminating proxy leaves the
 * throttle, the log and the audit seeing only the proxy.
 */
export function checkTrustedProxies(config: BastionConfig): Check {
  const title = 'Trusted proxies';
  const { trusted_proxies: proxies, tls_terminated_by_proxy: byProxy, host } = config.server.http;
  const everyone = proxies.filter((entry) => entry.endsWith('/0'));
  if (everyone.length > 0) {
    return fail(
      'trusted-proxies',
      title,
      `server.http.trusted_proxies lists ${everyone.join(', ')}, which takes in every address: any client can write X-Forwarded-For and choose the address its failed logins are counted and audited under.`,
      'List only the addresses (or the private range) of your own proxies.',
    );
  }
  if (proxies.length > 0) return pass('trusted-proxies', title, `X-Forwarded-For is believed from ${proxies.join(', ')} only.`);
  if (byProxy && !isLoopbackAddress(host)) {
    return warn(
      'trusted-proxies',
      title,
      'server.http.tls_terminated_by_proxy is true but server.http.trusted_proxies is empty: the failed-login throttle, the log and the audit see every client as the proxy.',
      "Add the proxy's address to server.http.trusted_proxies.",
    );
  }
  return pass('trusted-proxies', title, "No trusted proxy: the client address is the connection's peer, X-Forwarded-For is ignored.");
}

/** The items above, in report order. */
export function checkNetworkLinks(config: BastionConfig): Check[] {
  return [checkMetricsListen(config), checkJwksUrls(config), checkRedisTls(config), checkDatabaseTls(config), checkTrustedProxies(config)];
}
