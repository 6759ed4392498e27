import { escapeLine } from './escape-line.js';
import { marker, mayContainSecret, SECRET_RULES, secretKeyKind, type SecretRule } from './secret-rules.js';
import { serializeError } from './serialize-error.js';

export { escapeLine } from './escape-line.js';

/**
 * The one redactor for logs, audit records, error messages and results shown to
 * a client. Every secret shape of ./secret-rules.ts is replaced by a marker that
 * names what was removed (`[REDACTED:github_token]`), so a line stays useful.
 * Idempotent: redacting redacted text changes nothing.
 */
export function redactText(text: string): string {
  // Hot path for column names, ids and short values.
  if (!mayContainSecret(text)) return text;
  let out = text;
  for (const rule of SECRET_RULES) {
    out = typeof rule.replace === 'string' ? out.replace(rule.pattern, rule.replace) : out.replace(rule.pattern, rule.replace);
  }
  return out;
}

/**
 * redactText for text a person reads line by line (a statement put up for approval):
 * the same rules, but a secret that spans lines leaves its marker on every line it
 * took, so the answer has exactly one entry per line of `text` (split on \n), each
 * that line redacted. No secret, however shaped, can make a line disappear.
 */
export function redactLines(text: string): string[] {
  let out = text;
  if (mayContainSecret(text)) {
    for (const rule of SECRET_RULES) {
      out = out.replace(rule.pattern, (match: string, ...args: unknown[]) => {
        const replaced = replacement(rule, match, args);
        const lost = lineBreaks(match) - lineBreaks(replaced);
        return lost > 0 ? replaced + `\n${marker(rule.kind)}`.repeat(lost) : replaced;
      });
    }
  }
  const lines = out.split('\n');
  // By construction; should a rule ever break it, nothing is shown rather than a shifted statement.
  if (lines.length !== lineBreaks(text) + 1) throw new Error('redactLines: the line count changed');
  return lines;
}

function lineBreaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** What `String.prototype.replace` would put for this match: `$n` groups expanded, or the rule's function called. */
function replacement(rule: SecretRule, match: string, args: readonly unknown[]): string {
  const groups = args.slice(0, Math.max(0, args.findIndex((a) => typeof a === 'number'))) as (string | undefined)[];
  if (typeof rule.replace === 'function') return rule.replace(match, ...groups);
  return rule.replace.replace(/\$(\d)/g, (_m, n: string) => groups[Number(n) - 1] ?? '');
}

/** Redacted and escaped: for anything printed one record per line (stderr text, `audit tail`). */
export function redactLine(text: string): string {
  return escapeLine(redactText(text));
}

/** Deeper than this, a value is replaced rather than passed through unredacted. */
export const REDACT_MAX_DEPTH = 8;
export const TRUNCATED_MARKER = '[TRUNCATED:depth]';

/**
 * Applies `clean` (default: redactText) to every string inside a value, keys
 * included; a non-empty string under a secret-named key (`password`,
 * `client_secret`, `authorization`…) is replaced whole, since the text alone
 * does not show it is a secret. Errors become plain objects first. Past
 * REDACT_MAX_DEPTH (or a cycle) the rest is replaced by a marker: nothing
 * leaves unredacted. Other primitives are returned as they are.
 */
export function redactDeep(value: unknown, depth = 0, clean: (text: string) => string = redactText): unknown {
  if (typeof value === 'string') return clean(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > REDACT_MAX_DEPTH) return TRUNCATED_MARKER;
  if (value instanceof Error) return redactDeep(serializeError(value), depth + 1, clean);
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, depth + 1, clean));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kind = typeof item === 'string' && item !== '' ? secretKeyKind(key) : undefined;
    out[clean(key)] = kind === undefined ? redactDeep(item, depth + 1, clean) : marker(kind);
  }
  return out;
}
