import { parseDocument } from 'yaml';
import { fail, pass, type Check } from './check.js';

/**
 * Literal secrets in the configuration file, read before ${ENV} interpolation: a
 * file gets copied, committed and pasted into tickets, an environment variable
 * much less. The detail names the key, never the value.
 */

const ENV_ONLY = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
/** scheme://user:PASSWORD@… — the password part, when present. */
const URL_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^@/?#]*)@/i;
/** libpq/mysql query-string passwords: ?password=… or &sslpassword=… */
const QUERY_PASSWORD = /[?&](?:ssl)?password=([^&#]*)/i;

/** Whether a URL carries a password that is not wholly an ${ENV_VAR} reference. */
export function urlHasLiteralPassword(url: string): boolean {
  if (ENV_ONLY.test(url)) return false;
  const passwords = [URL_PASSWORD.exec(url)?.[1], QUERY_PASSWORD.exec(url)?.[1]].filter((p): p is string => p !== undefined && p !== '');
  return passwords.some((p) => !ENV_ONLY.test(decodeOrSelf(p)));
}

function decodeOrSelf(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function isLiteral(value: unknown): boolean {
  return typeof value === 'string' && value !== '' && !ENV_ONLY.test(value);
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The keys of a parsed (not yet interpolated) configuration that hold a literal secret. */
export function findLiteralSecrets(raw: unknown): string[] {
  const root = record(raw);
  const found: string[] = [];
  const url = (path: string, value: unknown): void => {
    if (typeof value === 'string' && urlHasLiteralPassword(value)) found.push(path);
  };
  for (const [name, source] of Object.entries(record(root['sources']))) url(`sources.${name}.url`, record(source)['url']);
  url('state.url', record(root['state'])['url']);
  url('redis.url', record(root['redis'])['url']);
  const audit = record(root['audit']);
  url('audit.postgres.url', record(audit['postgres'])['url']);
  if (isLiteral(audit['key'])) found.push('audit.key');
  const issuers = record(record(root['auth'])['jwt'])['issuers'];
  if (Array.isArray(issuers)) {
    issuers.forEach((issuer, i) => {
      if (isLiteral(record(issuer)['secret'])) found.push(`auth.jwt.issuers[${i}].secret`);
    });
  }
  return found;
}

/** The `secrets-in-file` item for the configuration file's text; no file, nothing to find. */
export function checkSecretsInFile(text: string | undefined, file: string | undefined): Check {
  const title = 'Secrets in the configuration file';
  if (text === undefined || file === undefined) return pass('secrets-in-file', title, 'No configuration file: nothing is stored in one.');
  let raw: unknown;
  try {
    raw = parseDocument(text, { prettyErrors: false }).toJS();
  } catch {
    return pass('secrets-in-file', title, 'The file does not parse; see the config item.');
  }
  const found = findLiteralSecrets(raw);
  if (found.length === 0) return pass('secrets-in-file', title, `${file} holds secrets only as \${ENV_VAR} references.`);
  return fail(
    'secrets-in-file',
    title,
    `${file} holds a literal secret at ${found.join(', ')}.`,
    'Move each value to an environment variable (see .env.example) and write it as ${VAR} in the file; rotate secrets that were committed.',
  );
}
