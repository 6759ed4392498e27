import { describe, expect, it } from 'vitest';
import { escapeLine, redactDeep, redactLine, redactText, TRUNCATED_MARKER } from '../../src/log/redact.js';
import { mayContainSecret, SECRET_RULES } from '../../src/log/secret-rules.js';
import { BENIGN_CORPUS, SECRET_CORPUS } from './secret-corpus.js';

/** Every 8-character piece of a secret: a partial leak is still a leak. */
function pieces(secret: string): string[] {
  if (secret.length <= 8) return [secret];
  return Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
}

function leakedPiece(output: string, secret: string): string | undefined {
  return pieces(secret).find((piece) => output.includes(piece));
}

describe('redactText: the secret corpus', () => {
  it('has at least 40 samples', () => {
    expect(SECRET_CORPUS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(SECRET_CORPUS.map((s) => [s.name, s] as const))('removes every 8-character piece of: %s', (_name, sample) => {
    expect(sample.text).toContain(sample.secret);
    const out = redactText(sample.text);
    expect(leakedPiece(out, sample.secret)).toBeUndefined();
    expect(out).toContain('[REDACTED:');
  });

  // SQL text in an audit record or a log line: the sample inside a string literal, quotes doubled.
  it.each(SECRET_CORPUS.map((s) => [s.name, s] as const))('removes it inside a SQL string literal too: %s', (_name, sample) => {
    const out = redactText(`SELECT '${sample.text.replace(/'/g, "''")}' AS value`);
    expect(leakedPiece(out, sample.secret)).toBeUndefined();
  });

  it('is idempotent: redacting redacted text changes nothing', () => {
    for (const sample of SECRET_CORPUS) {
      const once = redactText(sample.text);
      expect(redactText(once)).toBe(once);
    }
  });
});

describe('redactText: ordinary text', () => {
  it.each(BENIGN_CORPUS.map((text) => [text]))('leaves unchanged: %s', (text) => {
    expect(redactText(text)).toBe(text);
  });
});

describe('redactText: what the markers say and keep', () => {
  it('hides the whole userinfo of a URL and keeps host, port and database', () => {
    const out = redactText('connect failed for postgres://app:hunter2@db.internal:5432/prod');
    expect(out).toBe('connect failed for postgres://[REDACTED:url_credentials]@db.internal:5432/prod');
  });

  it('keeps a password containing @ from leaking its tail', () => {
    const out = redactText('postgres://app:p@ssw0rd!@db:5432/x');
    expect(out).toBe('postgres://[REDACTED:url_credentials]@db:5432/x');
  });

  it('keeps the label and quotes of a pair, so a JSON document stays valid JSON', () => {
    const out = redactText('{"user":"app","password":"hunter2-hunter2","port":5432}');
    expect(out).toBe('{"user":"app","password":"[REDACTED:password]","port":5432}');
    expect(JSON.parse(out)).toEqual({ user: 'app', password: '[REDACTED:password]', port: 5432 });
  });

  it('names the family of a prefixed token', () => {
    expect(redactText('token ' + 'gh' + 'p_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8')).toBe('token [REDACTED:github_token]');
    expect(redactText('Authorization: Bearer abc.def.ghi-123')).toBe('Authorization: Bearer [REDACTED:bearer_token]');
  });

  it('handles SQL string escapes inside a quoted password', () => {
    const out = redactText("ALTER ROLE app PASSWORD 'it''s-a-s3cret' VALID UNTIL 'infinity'");
    expect(out).toBe("ALTER ROLE app PASSWORD '[REDACTED:password]' VALID UNTIL 'infinity'");
  });

  it('leaves SQL placeholders as the value of a password column', () => {
    expect(redactText('UPDATE users SET password = $1 WHERE id = $2')).toBe('UPDATE users SET password = $1 WHERE id = $2');
  });

  it('treats a bare 64-hex string as an audit hash, not a secret', () => {
    const hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(redactText(`prev_hash=${hash}`)).toBe(`prev_hash=${hash}`);
  });

  it('does not treat a Stripe publishable key as a secret', () => {
    const publishable = 'pk' + '_live_' + '51HqLyzKb3cV9xYt2WmR8sD4n';
    expect(redactText(publishable)).toBe(publishable);
  });
});

describe('redactText: catastrophic backtracking', () => {
  // Each input repeats the start of a rule without ever completing it, the
  // shape that makes a backtracking regex engine go quadratic or worse.
  const size = 100_000;
  const repeat = (unit: string): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const adversarial: Record<string, string> = {
    // secret-scan: allow (headers only, no key)
    'open private-key headers': repeat('-----BEGIN RSA PRIVATE KEY-----'),
    // secret-scan: allow (headers only, no key)
    'BEGIN markers whose END has another label': repeat('-----BEGIN RSA PRIVATE KEY-----\n-----END EC PRIVATE KEY-----\n'),
    // secret-scan: allow (a header only, no key)
    'armour headers padded with spaces': '-----BEGIN PRIVATE KEY-----\n' + repeat(`Name: ${' '.repeat(50)}\\x\n`),
    'quoted values opened on every line, none closed there': repeat("pwd=''x\npassword 'a\ntoken=\"b\n"),
    'arrow separators without values': repeat('token==>'),
    'JWT heads without a second dot': repeat('eyJhbGciOiJIUzI1NiJ9.'),
    'JWT heads separated by dashes': repeat('eyJ-'),
    'URL schemes without userinfo': repeat('a://b'),
    'dotted scheme-like runs': repeat('a.'),
    'password labels without values': repeat('password'),
    'labels and separators only': repeat('token=:'),
    'unterminated quoted values': repeat('password="\\'),
    'SQL quotes after PASSWORD': repeat("PASSWORD '''"),
    'a label before a run of closing punctuation': 'password=' + repeat(')'),
    'labels glued to closing punctuation': repeat('pwd=).'),
    'userinfo-like runs without @': '://' + repeat('a:'),
    'bearer words without a token': repeat('Bearer aaaaaaa '),
    'bearer run without a digit': 'Bearer ' + repeat('a'),
    'authorization headers': repeat('Authorization: '),
    'one long base64url run': repeat('A'),
    'ak_ prefixes': repeat('ak_'),
    'azure-like runs': repeat('abc8Q~'),
    'control characters': repeat('\u001b[31m\r\n\u2028'),
  };

  it.each(Object.entries(adversarial))('finishes on 100 KB of %s', (_name, input) => {
    const out = redactText(input);
    expect(typeof out).toBe('string');
  });
});

describe('escapeLine: log injection', () => {
  it('turns CR, LF, tab, ESC, DEL and the Unicode separators into visible escapes', () => {
    const input = 'ok\r\nFAKE 2026 INFO admin logged in\u001b[31mred\u0007\u007f\u0085\u009b\u2028\u2029\t';
    expect(escapeLine(input)).toBe(
      'ok\\r\\nFAKE 2026 INFO admin logged in\\u001b[31mred\\u0007\\u007f\\u0085\\u009b\\u2028\\u2029\\t',
    );
  });

  it('escapes bidirectional overrides that would make a line display differently', () => {
    expect(escapeLine('user\u202eexe.txt')).toBe('user\\u202eexe.txt');
  });

  it('never outputs a raw control or line-breaking character, for every code point that is one', () => {
    const all = Array.from({ length: 0x3000 }, (_, i) => String.fromCharCode(i)).join('');
    const out = escapeLine(all);
    // eslint-disable-next-line no-control-regex -- the test looks for raw control characters
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(out.split('\n')).toHaveLength(1);
  });

  it('returns ordinary text unchanged', () => {
    for (const text of BENIGN_CORPUS.filter((t) => !t.includes('\n'))) expect(escapeLine(text)).toBe(text);
  });

  it('redactLine both redacts and escapes', () => {
    expect(redactLine('password=hunter22\nFAKE line')).toBe('password=[REDACTED:password]\\nFAKE line');
  });
});

describe('redactDeep', () => {
  it('redacts every string in nested objects and arrays, keys included', () => {
    const secretKey = 'gh' + 'p_' + 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8';
    const input = {
      sql: "SELECT 1 WHERE token = 'abcdef123456'",
      nested: { list: ['fine', `postgres://u:pw12345678@h/db`, 42, null, true], [secretKey]: 'column' },
    };
    const out = JSON.stringify(redactDeep(input));
    expect(out).not.toContain('abcdef123456');
    expect(out).not.toContain('pw12345678');
    expect(out).not.toContain(secretKey);
    expect(out).toContain('"fine"');
    expect(out).toContain('42');
  });

  it('replaces a string under a secret-named key, which its text alone would not betray', () => {
    const out = redactDeep({
      password: 'hunter2',
      PGPASSWORD: 'x',
      db_password: 'y',
      clientSecret: 'z',
      headers: { Authorization: 'opaque', cookie: 'sid=1', 'x-api-key': 'k' },
      password_hash: 'abc',
      max_tokens: '5',
      token_count: '7',
      bypass: 'true',
      empty_password: '',
    });
    expect(out).toEqual({
      password: '[REDACTED:password]',
      PGPASSWORD: '[REDACTED:password]',
      db_password: '[REDACTED:password]',
      clientSecret: '[REDACTED:client_secret]',
      headers: { Authorization: '[REDACTED:authorization]', cookie: '[REDACTED:cookie]', 'x-api-key': '[REDACTED:api_key]' },
      password_hash: 'abc',
      max_tokens: '5',
      token_count: '7',
      bypass: 'true',
      empty_password: '',
    });
  });

  it('turns an Error into a plain, redacted object', () => {
    const error = Object.assign(new Error('auth failed for postgres://app:hunter2hunter2@db/x'), { code: '28P01' });
    expect(redactDeep({ err: error })).toEqual({
      err: { type: 'Error', message: 'auth failed for postgres://[REDACTED:url_credentials]@db/x', code: '28P01' },
    });
  });

  it('replaces what is nested too deep instead of passing it through unredacted', () => {
    let deep: unknown = { password: 'hunter2hunter2' };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    const out = JSON.stringify(redactDeep(deep));
    expect(out).not.toContain('hunter2hunter2');
    expect(out).toContain(TRUNCATED_MARKER);
  });

  it('survives a cycle', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    expect(JSON.stringify(redactDeep(cyclic))).toContain(TRUNCATED_MARKER);
  });

  it('applies a given cleaner, such as redactLine for log records', () => {
    expect(redactDeep({ msg: 'a\nb password=hunter22' }, 0, redactLine)).toEqual({ msg: 'a\\nb password=[REDACTED:password]' });
  });
});

describe('redactText: speed', () => {
  it('redacts 1 MB of mixed log text (measured, reported)', () => {
    const line = (i: number): string =>
      i % 50 === 0
        ? (SECRET_CORPUS[i % SECRET_CORPUS.length]?.text ?? '')
        : (BENIGN_CORPUS[i % BENIGN_CORPUS.length] ?? '');
    const lines: string[] = [];
    let length = 0;
    for (let i = 0; length < 1_000_000; i++) {
      const next = line(i);
      lines.push(next);
      length += next.length + 1;
    }
    const text = lines.join('\n');
    redactText(text); // warm up the compiled regexes
    const runs = 5;
    const start = performance.now();
    for (let i = 0; i < runs; i++) redactText(text);
    const ms = (performance.now() - start) / runs;
    console.info(`redactText: ${(text.length / 1e6).toFixed(2)} MB in ${ms.toFixed(1)} ms`);
    expect(redactText(text)).toContain('[REDACTED:');
  });
});

describe('the short-text fast path', () => {
  it('never skips a string that a rule would change', () => {
    // every prefix (up to 40 characters) of the corpus that some rule rewrites must be let through
    for (const sample of SECRET_CORPUS) {
      for (const piece of [sample.secret, sample.text]) {
        for (let end = 1; end <= piece.length && end <= 40; end++) {
          const text = piece.slice(0, end);
          const changed = SECRET_RULES.some((rule) => {
            rule.pattern.lastIndex = 0;
            return rule.pattern.test(text);
          });
          if (changed) expect(mayContainSecret(text), JSON.stringify(text)).toBe(true);
        }
      }
    }
  });
});
