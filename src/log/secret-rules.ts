/**
 * The secret shapes the redactor removes, most specific first: a rule that runs
 * earlier leaves a `[REDACTED:kind]` marker that later rules never touch.
 *
 * Backtracking is kept linear: no quantified group contains a quantifier that
 * can match the same text two ways, every rule starts at a literal or at the
 * start of a token (a look-behind, so a long run of token characters is tried
 * once, not at every position), and unbounded spans stop at a character the
 * class excludes.
 */
export interface SecretRule {
  readonly kind: string;
  readonly pattern: RegExp;
  /** A replacement string with `$n` groups, or a function of the match. */
  readonly replace: string | ((match: string, ...groups: (string | undefined)[]) => string);
}

export const MARKER_START = '[REDACTED:';

export function marker(kind: string): string {
  return `${MARKER_START}${kind}]`;
}

/** A token starts where no base64url character precedes it. */
const TOKEN_START = '(?<![A-Za-z0-9_-])';

/** `prefix` + `body` as a standalone token, replaced whole by the kind's marker. */
function prefixed(kind: string, body: string): SecretRule {
  return { kind, pattern: new RegExp(TOKEN_START + body, 'g'), replace: marker(kind) };
}

/** Quoted values keep their quotes, so a redacted JSON document stays valid JSON. */
function quoteLike(value: string, kind: string): string {
  const first = value[0];
  // ''doubled'': a quoted value inside a SQL string literal.
  if (value.startsWith("''")) return `''${marker(kind)}${value.length > 2 && value.endsWith("''") ? "''" : ''}`;
  if (first === '"' || first === "'") {
    const closed = value.length > 1 && value.endsWith(first);
    return `${first}${marker(kind)}${closed ? first : ''}`;
  }
  if (value.startsWith('\\"')) return `\\"${marker(kind)}${value.length > 2 && value.endsWith('\\"') ? '\\"' : ''}`;
  if (first === '{') return `{${marker(kind)}${value.endsWith('}') ? '}' : ''}`;
  return marker(kind);
}

/** Names what a `label=value` pair held, from its label. */
function pairKind(label: string): string {
  const l = label.toLowerCase().replace(/[_-]/g, '');
  if (l === 'pwd' || l.startsWith('pass')) return 'password';
  if (l === 'sig') return 'azure_sas_signature';
  if (l === 'accountkey') return 'azure_account_key';
  if (l === 'sharedaccesskey') return 'azure_shared_access_key';
  if (l === 'secretaccesskey') return 'aws_secret_access_key';
  if (l === 'privatekey') return 'private_key';
  if (l === 'clientsecret') return 'client_secret';
  if (l === 'apikey') return 'api_key';
  if (l.endsWith('token')) return 'token';
  return 'secret';
}

/**
 * `label = value` in its many spellings: libpq and ODBC keyword strings, URL
 * query parameters, JSON and YAML keys, env files. Short labels (`pwd`, `sig`,
 * `api_key`…) must start a word; long ones (`password`, `secret`, `token`) may
 * end one (`PGPASSWORD`, `db_password`, `accessToken`). A label must be followed
 * directly by its separator, so `password_hash = …` and `max_tokens: 5` stay.
 */
const SHORT_LABELS = 'pwd|pass|sig|api[_-]?key|private[_-]?key|account[_-]?key|shared[_-]?access[_-]?key';
const LONG_LABELS =
  'secret[_-]?access[_-]?key|secret[_-]?key|client[_-]?secret|secret|passw(?:or)?d|passphrase|(?:access|refresh|id|auth|session|api)?[_-]?token';
const PAIR_LABEL = `(?:(?<![a-z0-9])(${SHORT_LABELS})|(${LONG_LABELS}))`;

const PAIR_SEPARATOR = `(\\\\?["']?[ \\t]*(?:[:=]{1,2}>?)[ \\t]*)`;
/**
 * Not an earlier marker (quoted or not, also behind what a shorter separator would
 * leave: `token=>[REDACTED:…]` read as `token=` and `>[REDACTED:…]`), not a SQL
 * placeholder (`$1`, a lone `?`).
 */
const PAIR_VALUE_GUARD = `(?![ \\t:=>]*\\\\?["'{]{0,2}\\[REDACTED:|\\$\\d|\\?(?![^\\s&;,'"]))`;
/**
 * A quoted value whose closing quote follows within this many characters may span
 * lines (a password with a line break in it); that quote must end a word, so the
 * opening quote of the next value is not taken for it. Without such a quote, the value
 * runs to its closing quote or the end of its line, however long, never further: a
 * stray quote cannot swallow the lines after it.
 */
export const QUOTED_SPAN_MAX = 4096;
/** After a closing quote that ends a value spanning lines. */
const QUOTE_ENDS_WORD = '(?![A-Za-z0-9_])';
const PAIR_VALUE =
  '(' +
  `"(?:[^"\\\\]|\\\\[\\s\\S]){0,${QUOTED_SPAN_MAX}}"${QUOTE_ENDS_WORD}` + // "double quoted", across lines
  `|''[^']{0,${QUOTED_SPAN_MAX}}''${QUOTE_ENDS_WORD}` + // ''doubled'' inside a SQL string literal, across lines
  `|'(?:[^'\\\\]|\\\\[\\s\\S]|''){0,${QUOTED_SPAN_MAX}}'${QUOTE_ENDS_WORD}` + // 'single quoted', across lines
  `|\\\\"[^"\\\\\\r\\n]*(?:\\\\")?` + // \"escaped JSON\"
  `|"(?:[^"\\\\\\r\\n]|\\\\.)*"?` + // "double quoted" on its line, possibly cut short
  `|''[^'\\r\\n]*(?:'')?` + // ''doubled'', inside a SQL string literal
  `|'(?:[^'\\\\\\r\\n]|\\\\.|'')*'?` + // 'single quoted', SQL '' escapes
  `|\\{[^}\\r\\n]*\\}?` + // ODBC {braced;value}
  `|[^\\s&;,'"]*[^\\s&;,'")\\]}>.]` + // bare, up to a delimiter, without closing punctuation
  ')';

const PAIR: SecretRule = {
  kind: 'pair',
  pattern: new RegExp(PAIR_LABEL + PAIR_SEPARATOR + PAIR_VALUE_GUARD + PAIR_VALUE, 'gi'),
  replace: (_match, short, long, separator, value) => {
    const label = short ?? long ?? '';
    return `${label}${separator ?? ''}${quoteLike(value ?? '', pairKind(label))}`;
  },
};

/** The same labels as whole object keys (`{ password: … }`), plus header names. */
const SECRET_KEY = new RegExp(
  `^(?:(?:[a-z0-9_.-]*[_.-])?(${SHORT_LABELS})|[a-z0-9_.-]*?(${LONG_LABELS})|(authorization|proxy-authorization|cookie|set-cookie))$`,
  'i',
);

/** What an object key says its value holds (`password`, `token`…), or undefined for an ordinary key. */
export function secretKeyKind(key: string): string | undefined {
  const found = SECRET_KEY.exec(key);
  if (!found) return undefined;
  if (found[3] !== undefined) return found[3].toLowerCase().endsWith('cookie') ? 'cookie' : 'authorization';
  return pairKind(found[1] ?? found[2] ?? '');
}
/**
 * A private-key block (PEM, OpenSSH, PGP armour). With its END marker (the same label)
 * within PEM_SPAN_MAX characters, everything from BEGIN to END is key, whatever the
 * lines between hold (armour headers, comments, line breaks of any kind, JSON `\n`
 * escapes). Without it (a message cut short, or text made to look like a block), the
 * BEGIN marker takes only the lines after it that a key body holds (base64, `Name:
 * value` armour headers, blank lines) and stops at the first other line, so it never
 * takes the lines that follow. `\r\n`, `\r` and `\n` all end a line, written or escaped.
 */
const PEM_SPAN_MAX = 65_536;
const PEM_BREAK = String.raw`(?:\r\n|\r|\n|\\r\\n|\\r|\\n)`;
const PEM_BEGIN = '-----BEGIN([A-Z0-9 ]{0,40}) PRIVATE KEY( BLOCK)?-----';
const PEM_END = '-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----';
/** Up to the first END marker with BEGIN's label; never past another BEGIN, so each character is scanned once. */
const PEM_TO_END = `(?:(?!-----BEGIN)[\\s\\S]){0,${PEM_SPAN_MAX}}?-----END\\1 PRIVATE KEY\\2-----`;
const PEM_WORD = '[A-Za-z0-9+/=]{1,8192}';
/** An armour header (`Version: GnuPG v2`, `Proc-Type: 4,ENCRYPTED`, `Comment: …`): ends at a line end or a quote. */
const PEM_HEADER = `[A-Za-z][A-Za-z0-9-]{0,63}:(?:[ \\t][^\\r\\n"'\\\\]*)?`;
/** Where a body line ends: a break, the END marker, the end of the text or of the string holding it. */
const PEM_LINE_END = `(?=${PEM_BREAK}|-----END|["']|$)`;
const PEM_LINE = `[ \\t]*(?:${PEM_WORD}[ \\t]*|${PEM_HEADER})?${PEM_LINE_END}`;
const PRIVATE_KEY = new RegExp(
  PEM_BEGIN +
    `(?:${PEM_TO_END}` + // the whole block
    `|(?:${PEM_LINE}(?:${PEM_BREAK}${PEM_LINE}){0,4096}(?:${PEM_BREAK}?[ \\t]*${PEM_END})?)?)`, // cut short: line by line
  'g',
);

const AUTH_SCHEME_KINDS: Record<string, string> = { bearer: 'bearer_token', basic: 'basic_credentials' };

export const SECRET_RULES: readonly SecretRule[] = [
  {
    kind: 'private_key',
    pattern: PRIVATE_KEY,
    replace: marker('private_key'),
  },
  {
    // The header value whatever its scheme; the scheme word stays for the reader.
    kind: 'authorization',
    pattern:
      /((?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?)(?!(?:[a-z][a-z0-9-]{0,30}[ \t]+)?\[REDACTED:)(?:([a-z][a-z0-9-]{0,30})[ \t]+)?[^\s"',;\\]+/gi,
    replace: (_match, head, scheme) => {
      const kind = AUTH_SCHEME_KINDS[(scheme ?? '').toLowerCase()] ?? 'authorization';
      return `${head ?? ''}${scheme ? `${scheme} ` : ''}${marker(kind)}`;
    },
  },
  {
    // A token needs a digit, a symbol or a lower-upper pair, so "Bearer authentication" stays.
    kind: 'bearer_token',
    // Case-sensitive on purpose: with the i flag, [a-z][A-Z] would match any word.
    pattern: /(?<![A-Za-z0-9_-])(bearer|Bearer|BEARER|basic|Basic|BASIC)([ \t]+)(?=[A-Za-z0-9._~+/=-]*(?:[0-9._~+/=-]|[a-z][A-Z]))[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (_match, scheme, space) => `${scheme ?? ''}${space ?? ''}${marker(AUTH_SCHEME_KINDS[(scheme ?? '').toLowerCase()] ?? 'bearer_token')}`,
  },
  {
    // A letters-only bearer token: 16 letters after the word bearer is a token, not prose.
    kind: 'bearer_token',
    pattern: /(?<![A-Za-z0-9_-])(bearer|Bearer|BEARER)([ \t]+)[A-Za-z]{16,}/g,
    replace: `$1$2${marker('bearer_token')}`,
  },
  {
    // The whole userinfo goes: the "user" is often a token (https://ghp_…@github.com).
    kind: 'url_credentials',
    // Starts at the literal "://" (any scheme), so the scan only stops at colons.
    pattern: /:\/\/[^\s/"'<>]+@/g,
    replace: `://${marker('url_credentials')}@`,
  },
  {
    kind: 'slack_webhook',
    pattern: /(hooks\.slack\.com\/)(?:services|workflows|triggers)\/[A-Za-z0-9_/-]+/g,
    replace: `$1${marker('slack_webhook')}`,
  },
  {
    kind: 'jwt',
    // Header and payload may be short (a payload of one byte is 2 characters) and the signature empty (alg none).
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
    replace: marker('jwt'),
  },
  prefixed('bastion_api_key', 'ak_[A-Za-z0-9_-]{43,}'),
  prefixed('github_token', '(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})'),
  prefixed('gitlab_token', 'glpat-[A-Za-z0-9_-]{20,}'),
  prefixed('slack_token', '(?:xox[abposr]-[A-Za-z0-9-]{10,}|xapp-\\d-[A-Za-z0-9-]{10,})'),
  prefixed('stripe_secret_key', '[sr]k_(?:live|test)_[A-Za-z0-9]{10,}'),
  prefixed('stripe_webhook_secret', 'whsec_[A-Za-z0-9+/=]{16,}'),
  prefixed('aws_access_key_id', '(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])'),
  prefixed('gcp_api_key', 'AIza[A-Za-z0-9_-]{35}'),
  prefixed('gcp_oauth_secret', 'GOCSPX-[A-Za-z0-9_-]{20,}'),
  prefixed('gcp_access_token', 'ya29\\.[A-Za-z0-9_-]{20,}'),
  prefixed('azure_client_secret', '[A-Za-z0-9_~.-]{3}\\dQ~[A-Za-z0-9_~.-]{31,34}'),
  prefixed('anthropic_api_key', 'sk-ant-[A-Za-z0-9_-]{20,}'),
  prefixed('openai_api_key', 'sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}'),
  prefixed('npm_token', 'npm_[A-Za-z0-9]{36}'),
  {
    // ALTER ROLE … PASSWORD '…', CREATE USER … IDENTIFIED BY '…': no `=` to key on.
    kind: 'sql_password',
    pattern: new RegExp(
      `\\b(password|identified[ \\t]+by)([ \\t]+)(?!'{0,2}\\[REDACTED:)` +
        `(''[^']{1,${QUOTED_SPAN_MAX}}''${QUOTE_ENDS_WORD}|'(?:[^'\\\\]|\\\\[\\s\\S]|''){1,${QUOTED_SPAN_MAX}}'${QUOTE_ENDS_WORD}` + // across lines
        `|''[^'\\r\\n]+(?:'')?|'(?:[^'\\\\\\r\\n]|\\\\.|'')+'?)`, // on its line, possibly cut short
      'gi',
    ),
    replace: (_match, word, space, value) => `${word ?? ''}${space ?? ''}${quoteLike(value ?? '', 'password')}`,
  },
  PAIR,
];

/** Characters every key/value, URL, quoted or spaced rule above needs. */
const SEPARATOR = /[=:@'"\s]/;
/** The shortest token any rule above can match without a separator (a JWT): update with the rules. */
const SHORTEST_TOKEN = 12;

/** False only for text no rule above can match: shorter than every token shape and without separators. */
export function mayContainSecret(text: string): boolean {
  return text.length >= SHORTEST_TOKEN || SEPARATOR.test(text);
}
