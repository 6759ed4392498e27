import { describe, expect, it } from 'vitest';
import { redactLines, redactText } from '../../src/log/redact.js';
import { SECRET_CORPUS } from './secret-corpus.js';

/**
 * The redactor removes secrets, never the lines around them: a private-key block runs
 * to its END marker (or, without one, to the first line that is not base64, an armour
 * header or blank), a quoted value to its closing quote (across lines only when that
 * quote follows within 4 KiB), every other rule stops at the end of a line, and a
 * marker it wrote is never matched again. Text crafted to look like the start of a
 * secret (a lone quote after PASSWORD, a BEGIN marker without its END) must leave the
 * lines after it readable, or a person approving a statement could be shown a
 * harmless one while another runs.
 */

// secret-scan: allow (markers only, no key)
const BEGIN = '-----BEGIN PRIVATE KEY-----';
const ATTACKS: readonly string[] = [
  "DELETE FROM victims WHERE id = $1 OR name = $2 -- password '\nOR id > 0",
  `DELETE FROM victims WHERE id = $1 -- ${BEGIN}\nOR id > 0`,
  "password '",
  "password '[REDACTED:password]",
  "  $2 = \"password '[REDACTED:password]\"\nDry run: 5 rows would be deleted.\nRows to be deleted (first 5 of 5):",
  `-- ${BEGIN}\nOR\nTRUE\n-- -----END PRIVATE KEY-----`,
  "ALTER ROLE app PASSWORD ''\nOR id > 0",
  'token="unterminated\nnext line',
  "secret='unterminated\nnext line",
  'Pwd={unterminated\nnext line',
  `identified by '${'x'.repeat(5000)}`,
  'token=>abc123',
  'password=>hunter2',
  'password==>hunter2',
  'token=>[REDACTED:token]',
  "secret=''unterminated\nnext line",
  'password="abc\ndef" next',
  `${BEGIN}\nComment: x\nMIIEvQ!!x\n-----END PRIVATE KEY-----\nOR id > 0`,
];

/** Text a redacted string is embedded in on its way out: quoted as a SQL literal, JSON-encoded, followed by more lines. */
function contexts(text: string): string[] {
  return [text, `SELECT '${text.replace(/'/g, "''")}' AS v`, JSON.stringify({ v: text }), `${text}\nDry run: 1 row would be deleted.`];
}

describe('redaction is idempotent', () => {
  it('redact(redact(x)) is redact(x) for the whole corpus, in every context, and for the attack strings', () => {
    const inputs = [...SECRET_CORPUS.map((s) => s.text), ...ATTACKS].flatMap(contexts);
    expect(inputs.length).toBeGreaterThan(4 * 67);
    for (const input of inputs) {
      const once = redactText(input);
      expect(redactText(once), JSON.stringify(input)).toBe(once);
    }
  });

  it('holds for every pair of corpus texts joined on one line and on two', () => {
    for (const a of SECRET_CORPUS) {
      for (const b of [...SECRET_CORPUS.slice(0, 12), ...ATTACKS.map((text) => ({ text }))]) {
        for (const joined of [`${a.text} ${b.text}`, `${a.text}\n${b.text}`]) {
          const once = redactText(joined);
          expect(redactText(once), JSON.stringify(joined)).toBe(once);
        }
      }
    }
  });
});

/** mulberry32, seeded: the fuzz below is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('redaction is idempotent whatever the separator', () => {
  it('holds for labels, separators (=, :, =>, ==>, ": ", = ", =\') and random values', () => {
    const random = seeded(15);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const labels = ['password', 'token', 'secret', 'pwd', 'api_key', 'PGPASSWORD', 'accessToken', 'client_secret'];
    const separators = ['=', ':', '=>', '==>', ': ', '= "', "='"];
    const alphabet = 'abcXYZ019=:>"\' !#%&;,.-_[]{}()\\\n';
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      const value = Array.from({ length: 1 + Math.floor(random() * 16) }, () => pick([...alphabet])).join('');
      const input = `${pick(['', 'x ', '{"'])}${pick(labels)}${pick(separators)}${value}${pick(['', ' next', '\nnext line', '"'])}`;
      const once = redactText(input);
      expect(redactText(once), JSON.stringify(input)).toBe(once);
      checked++;
    }
    expect(checked).toBe(3000);
  });
});

describe('no rule removes more than a secret', () => {
  it('a lone quote after PASSWORD takes nothing, and what it does take ends with its line, however often redacted', () => {
    const sql = "DELETE FROM victims WHERE id = $1 OR name = $2 -- password '\nOR id > 0";
    expect(redactText(sql)).toBe(sql);
    // The attack's shape: the value redacted on its own, then the text holding it again.
    const summary = `  $2 = ${JSON.stringify(redactText("password 'x"))}\nDry run: 5 rows would be deleted.\n  [1,"a"]`;
    expect(redactText(summary)).toBe(summary);
    expect(redactText(redactText(summary))).toBe(summary);
    expect(redactText(`x = "password '"\nDry run: 5 rows would be deleted.`)).toBe(`x = "password '[REDACTED:password]\nDry run: 5 rows would be deleted.`);
  });

  it('a quoted password cut short is redacted to the end of its line, not past it', () => {
    expect(redactText("ALTER ROLE app PASSWORD 'hunter2 and more\nOR id > 0")).toBe("ALTER ROLE app PASSWORD '[REDACTED:password]\nOR id > 0");
    expect(redactText('{"password":"hunter2 cut\n{"next": 1}')).toBe('{"password":"[REDACTED:password]\n{"next": 1}');
  });

  it('a quoted value runs to its closing quote on its line, however long', () => {
    const out = redactText(`password="${'x'.repeat(1030)}SECRETTAIL" WHERE id = 1`);
    expect(out).toBe('password="[REDACTED:password]" WHERE id = 1');
    const cut = redactText(`PASSWORD '${'p'.repeat(3000)}SECRETTAIL WHERE id = 1\nAND 1 = 1`);
    expect(cut).toBe("PASSWORD '[REDACTED:password]\nAND 1 = 1");
  });

  it('a quoted password with a line break in it is redacted up to its closing quote', () => {
    expect(redactText('password="abc\nSECRETPART" next')).toBe('password="[REDACTED:password]" next');
    expect(redactText("ALTER ROLE x PASSWORD 'abc\nSECRETPART';\nSELECT 1")).toBe("ALTER ROLE x PASSWORD '[REDACTED:password]';\nSELECT 1");
    expect(redactText("SELECT 'ALTER ROLE x PASSWORD ''abc\nSECRETPART''' AS v")).toBe("SELECT 'ALTER ROLE x PASSWORD ''[REDACTED:password]''' AS v");
    // The quote that opens the next value is not a closing quote: each value is redacted on its own line.
    expect(redactText('password="abc\ntoken="SECRETPART"')).toBe('password="[REDACTED:password]\ntoken="[REDACTED:token]"');
    // Past the bound, the value ends with its line.
    expect(redactText(`password="abc\n${'y'.repeat(5000)}"`)).toBe(`password="[REDACTED:password]\n${'y'.repeat(5000)}"`);
  });

  it('a BEGIN marker without its END takes only the base64 lines after it', () => {
    const body = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'q3Zx9u0cW1pR8sT2vY4nL6kH5jD3fG7aB1e=='];
    expect(redactText(`-- ${BEGIN}\nOR id > 0`)).toBe('-- [REDACTED:private_key]\nOR id > 0');
    expect(redactText(`${BEGIN}\n${body.join('\n')}\nOR id > 0\nAND 1 = 1`)).toBe('[REDACTED:private_key]\nOR id > 0\nAND 1 = 1');
    expect(redactText(`${BEGIN} OR id > 0`)).toBe('[REDACTED:private_key] OR id > 0');
    // Cut short at the end of the text: everything after BEGIN is key.
    expect(redactText(`rejected: ${BEGIN}\n${body.join('\n')}`)).toBe('rejected: [REDACTED:private_key]');
  });

  it('a whole block, one-line or in JSON with \\n escapes, is still removed whole', () => {
    const words = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC q3Zx9u0cW1pR8sT2vY4nL6kH5jD3fG7a';
    expect(redactText(`KEY="${BEGIN} ${words} -----END PRIVATE KEY-----" next`)).toBe('KEY="[REDACTED:private_key]" next');
    expect(redactText(`{"k":"${BEGIN}\\nMIIEvQIBADANBgkq\\nhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n","e":1}`)).toBe('{"k":"[REDACTED:private_key]\\n","e":1}');
  });
});

describe('private-key blocks whatever their lines hold', () => {
  // secret-scan: allow (made-up body)
  const pgp = '-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBF0SECRETBODYaaaa\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----';

  it('removes a PGP block with armour headers whole, and redactLines marks every line it spanned', () => {
    expect(redactText(`key:\n${pgp}\nnext`)).toBe('key:\n[REDACTED:private_key]\nnext');
    const lines = redactLines(`key:\n${pgp}\nnext`);
    expect(lines).toEqual(['key:', ...Array<string>(6).fill('[REDACTED:private_key]'), 'next']);
  });

  it('removes a PEM block with a Comment line, a line that is not base64, or bare CR line breaks', () => {
    const body = 'MIIEvQSECRETBODYbbbb';
    // secret-scan: allow (made-up body)
    const end = '-----END PRIVATE KEY-----';
    for (const block of [`${BEGIN}\nComment: "ops key"\n${body}\n${end}`, `${BEGIN}\nMIIEvQ!!x\n${body}\n${end}`, `${BEGIN}\r${body}\r${body}\r${end}`]) {
      const out = redactText(`a ${block} b`);
      expect(out).toBe('a [REDACTED:private_key] b');
      expect(redactLines(`a ${block}\nb`).join('\n')).not.toContain('SECRETBODY');
    }
  });

  it('without its END, takes base64, armour header and blank lines, and stops at the first other line', () => {
    const cut = `${BEGIN}\rVersion: 1\r\n\nlQOYBF0SECRETBODYcccc\nOR id > 0\nlQOYBF0visible`;
    expect(redactText(cut)).toBe('[REDACTED:private_key]\nOR id > 0\nlQOYBF0visible');
  });

  it('an END marker of another label does not end the block early, nor does one past 64 KiB', () => {
    const other = '-----END RSA PRIVATE KEY-----';
    expect(redactText(`${BEGIN}\nMIIE!!\n${other}\nSECRETBODY!!\n-----END PRIVATE KEY----- next`)).toBe('[REDACTED:private_key] next');
    const far = `${BEGIN}\nOR id > 0\n${'-- filler\n'.repeat(7000)}-----END PRIVATE KEY-----`;
    expect(redactText(far).startsWith('[REDACTED:private_key]\nOR id > 0\n-- filler\n')).toBe(true);
  });
});

describe('short JWTs and letters-only bearer tokens', () => {
  it('redacts a JWT whose payload and signature are short', () => {
    // secret-scan: allow (made-up token)
    expect(redactText('token eyJhbGciOiJIUzI1NiJ9.eyJz.abc ok')).toBe('token [REDACTED:jwt] ok');
    // secret-scan: allow (made-up unsigned token)
    expect(redactText('eyJhbGciOiJub25lIn0.e30. (alg none)')).toBe('[REDACTED:jwt] (alg none)');
    expect(redactText('see file eyJ.md or a.b.c')).toBe('see file eyJ.md or a.b.c');
  });

  it('redacts a letters-only bearer token of 16 or more letters, and leaves prose', () => {
    expect(redactText('sent bearer abcdefghijklmnop')).toBe('sent bearer [REDACTED:bearer_token]');
    expect(redactText('Bearer SECRETonlyLETTERS')).toBe('Bearer [REDACTED:bearer_token]');
    expect(redactText('Bearer authentication is required')).toBe('Bearer authentication is required');
  });
});

describe('redactLines', () => {
  it('keeps one entry per line: a multi-line key leaves its marker on each line it took', () => {
    const sample = SECRET_CORPUS.find((s) => s.name === 'RSA private key block');
    expect(sample).toBeDefined();
    const text = `INSERT INTO keys VALUES ('${sample!.text}')\nRETURNING id`;
    const lines = redactLines(text);
    expect(lines).toHaveLength(text.split('\n').length);
    expect(lines.join('\n')).not.toContain(sample!.secret.slice(0, 16));
    expect(lines[0]).toBe("INSERT INTO keys VALUES ('loaded key:");
    expect(lines.filter((l) => l === '[REDACTED:private_key]').length).toBeGreaterThan(3);
    expect(lines.at(-1)).toBe('RETURNING id');
  });

  it('redacts each line as redactText would when no secret spans lines', () => {
    const spansNoLine = (text: string): boolean => redactText(text).split('\n').length === text.split('\n').length;
    expect(ATTACKS.filter(spansNoLine).length).toBeGreaterThan(12);
    for (const attack of ATTACKS.filter(spansNoLine)) expect(redactLines(attack).join('\n')).toBe(redactText(attack));
    for (const sample of SECRET_CORPUS.filter((s) => !s.text.includes('PRIVATE KEY') && !s.secret.includes('\n'))) {
      expect(redactLines(sample.text).join('\n')).toBe(redactText(sample.text));
    }
  });
});
