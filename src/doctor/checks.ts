import { compileGlobs } from '../authorize/glob.js';
import type { BastionConfig } from '../config/schema.js';
import { isLoopbackAddress } from '../util/loopback.js';
import { fail, pass, warn, type Check } from './check.js';
import { checkNetworkLinks } from './network.js';

/**
 * The checklist items that depend on the validated configuration alone: pure
 * functions, so each rule is unit-tested without a server, a database or a file.
 */

const MAX_SANE_RATE = 10_000;
const DAY_S = 24 * 3600;

export function checkHttpExposure(config: BastionConfig): Check {
  const { host, tls, tls_terminated_by_proxy: byProxy } = config.server.http;
  const title = 'HTTP bind address';
  if (isLoopbackAddress(host)) return pass('http-exposure', title, `server.http.host is ${host}, a loopback address.`);
  if (tls !== undefined) return pass('http-exposure', title, `server.http.host is ${host} and TLS is configured.`);
  if (byProxy) {
    return pass('http-exposure', title, `server.http.host is ${host} without TLS of its own; server.http.tls_terminated_by_proxy says a proxy in front terminates TLS (keep the hop from it to Bastion private).`);
  }
  return fail(
    'http-exposure',
    title,
    `server.http.host is ${host}, reachable from the network, and server.http.tls is not set: credentials and results would cross the network in clear text (serve refuses to start this way).`,
    'Set server.http.tls (cert_file, key_file); or, behind a TLS-terminating proxy, set server.http.tls_terminated_by_proxy: true; or bind server.http.host to 127.0.0.1.',
  );
}

export function checkAuth(config: BastionConfig): Check {
  const { api_keys, jwt } = config.auth;
  const mtls = config.server.http.tls?.client_ca_file !== undefined;
  const title = 'HTTP authentication';
  const methods = [api_keys.enabled ? 'API keys' : '', jwt.issuers.length > 0 ? `${jwt.issuers.length} JWT issuer(s)` : '', mtls ? 'mTLS' : ''].filter((m) => m !== '');
  if (methods.length > 0) return pass('auth', title, `HTTP clients authenticate with ${methods.join(', ')}.`);
  const detail = 'auth.api_keys.enabled is false, there is no JWT issuer and no mTLS client CA: no HTTP client can authenticate.';
  const fix = 'Enable auth.api_keys (the default), add an auth.jwt issuer, or set server.http.tls.client_ca_file.';
  return isLoopbackAddress(config.server.http.host) ? warn('auth', title, `${detail} (HTTP binds a loopback address.)`, fix) : fail('auth', title, detail, fix);
}

export function checkCors(config: BastionConfig): Check[] {
  const { allowed_origins, allowed_hosts } = config.server.http;
  const checks: Check[] = [];
  const origins = allowed_origins.filter((o) => o.includes('*'));
  if (origins.length > 0) {
    checks.push(
      fail(
        'cors',
        'Allowed origins',
        `server.http.allowed_origins holds a wildcard (${origins.join(', ')}): any web page could call the server from a browser.`,
        'List each trusted origin exactly, e.g. https://app.example.com.',
      ),
    );
  }
  const hosts = allowed_hosts.filter((h) => h.includes('*'));
  if (hosts.length > 0) {
    checks.push(
      fail(
        'cors',
        'Allowed Host headers',
        `server.http.allowed_hosts holds a wildcard (${hosts.join(', ')}): it undoes the DNS-rebinding protection.`,
        'List each host name the server is reached by exactly, e.g. bastion.internal:7300.',
      ),
    );
  }
  if (checks.length > 0) return checks;
  return [pass('cors', 'Allowed origins and hosts', `${allowed_origins.length} extra origin(s) and ${allowed_hosts.length} extra host(s), none a wildcard.`)];
}

export function checkRateLimits(config: BastionConfig): Check {
  const rates = [
    { where: 'rate_limits.per_principal_per_minute', value: config.rate_limits.per_principal_per_minute },
    ...Object.entries(config.roles).flatMap(([name, role]) =>
      role.rate_limit_per_minute === undefined ? [] : [{ where: `roles.${name}.rate_limit_per_minute`, value: role.rate_limit_per_minute }],
    ),
  ];
  const high = rates.filter((r) => r.value > MAX_SANE_RATE);
  const title = 'Rate limits';
  if (high.length === 0) return pass('rate-limits', title, `${config.rate_limits.per_principal_per_minute} calls per minute per principal.`);
  return warn(
    'rate-limits',
    title,
    `${high.map((r) => `${r.where} is ${r.value}`).join('; ')}: above ${MAX_SANE_RATE} a runaway agent is barely slowed down.`,
    `Lower the limit to what one agent needs (the default is 60), at most ${MAX_SANE_RATE}.`,
  );
}

/** Audit settings; whether the file chain verifies is checked by checkAuditChain. */
export function checkAuditSettings(config: BastionConfig): Check {
  const title = 'Audit trail';
  if (!config.audit.enabled) {
    return fail('audit', title, 'audit.enabled is false: calls leave no record.', 'Set audit.enabled: true (the default).');
  }
  if (config.audit.key === undefined) {
    return warn(
      'audit',
      title,
      'audit.key is not set: the chain is plain SHA-256, which anyone with write access to the log can recompute after editing it.',
      'Set audit.key: ${BASTION_AUDIT_KEY} with a random value of at least 32 characters (openssl rand -hex 32).',
    );
  }
  return pass('audit', title, `On, HMAC-keyed chain, sinks: ${config.audit.sinks.join(', ')}.`);
}

export function checkWrites(config: BastionConfig): Check[] {
  const checks: Check[] = [];
  const writable = Object.entries(config.sources).filter(([, source]) => source.writes.enabled);
  for (const [name, source] of writable) {
    const unapproved = Object.entries(config.roles)
      .filter(([, role]) => Object.entries(role.approval).some(([glob, who]) => who === 'none' && compileGlobs([glob])(name)))
      .map(([role]) => role);
    if (unapproved.length > 0) {
      checks.push(
        warn(
          'writes',
          `Writes on ${name}`,
          `Role(s) ${unapproved.join(', ')} change source ${name} without a human's approval (approval: none).`,
          'Keep approval: none for trusted automation only; remove it so a person approves each change.',
        ),
      );
    }
    if (source.writes.allow_unbounded) {
      checks.push(
        warn(
          'writes',
          `Unbounded writes on ${name}`,
          `sources.${name}.writes.allow_unbounded is true: UPDATE and DELETE without WHERE are accepted.`,
          `Set sources.${name}.writes.allow_unbounded: false (the default).`,
        ),
      );
    }
  }
  if (writable.length > 0 && config.state.url !== undefined && config.audit.key === undefined) {
    checks.push(
      warn(
        'writes',
        'In-client approvals across replicas',
        'state.url is set (replicas) but audit.key is not: each process signs MCP 2026-07-28 approval states with a key of its own, so a retry that reaches another replica is refused and the approval stays pending for the CLI.',
        'Set audit.key: ${BASTION_AUDIT_KEY} to the same random value on every replica (openssl rand -hex 32).',
      ),
    );
  }
  if (checks.length > 0) return checks;
  const detail = writable.length === 0 ? 'Every source is read-only.' : `Writes on ${writable.map(([n]) => n).join(', ')}, each approved by a person.`;
  return [pass('writes', 'Governed writes', detail)];
}

export function checkJwtLifetime(config: BastionConfig): Check {
  const long = config.auth.jwt.issuers.filter((i) => i.max_lifetime_s > DAY_S);
  const title = 'JWT lifetime';
  if (long.length === 0) {
    const detail = config.auth.jwt.issuers.length === 0 ? 'No JWT issuer configured.' : 'Every issuer accepts tokens of at most 24 h.';
    return pass('jwt-lifetime', title, detail);
  }
  return warn(
    'jwt-lifetime',
    title,
    `Issuer(s) ${long.map((i) => `${i.issuer} (${Math.round(i.max_lifetime_s / 3600)} h)`).join(', ')} accept tokens living longer than 24 h: a stolen token stays useful that long.`,
    'Set auth.jwt.issuers[].max_lifetime_s to 86400 or less and issue short-lived tokens.',
  );
}

/** The checks above and those of network.ts, in the order the report lists them. */
export function checkConfig(config: BastionConfig): Check[] {
  return [
    checkHttpExposure(config),
    checkAuth(config),
    ...checkCors(config),
    ...checkNetworkLinks(config),
    checkRateLimits(config),
    checkAuditSettings(config),
    ...checkWrites(config),
    checkJwtLifetime(config),
  ];
}

