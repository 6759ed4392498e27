/**
 * The leak search of the column-security corpora (PostgreSQL/PGlite, MySQL/MariaDB and SQLite):
 * every planted value of test/corpus/column-security.ts and the encodings an attacker would
 * use first, searched in a whole tool answer.
 */
import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, it } from 'vitest';
import { PLANTED, type Param } from '../corpus/column-security.js';

export interface Needle {
  label: string;
  /** Lower case; searched case-insensitively in the whole answer. */
  text: string;
  /** For short hex forms: only as a whole hex word (not inside a longer hex string). */
  word?: boolean;
}

function textNeedles(kind: string, value: string): Needle[] {
  const out: Needle[] = [
    { label: `${kind} ${value}`, text: value },
    { label: `${kind} hex`, text: Buffer.from(value, 'utf8').toString('hex') },
    { label: `${kind} base64`, text: Buffer.from(value, 'utf8').toString('base64') },
    { label: `${kind} md5`, text: createHash('md5').update(value).digest('hex') },
    { label: `${kind} sha256`, text: createHash('sha256').update(value).digest('hex') },
  ];
  return out.map((n) => ({ ...n, text: n.text.toLowerCase() }));
}

function buildNeedles(): Needle[] {
  const out: Needle[] = [];
  for (const ssn of PLANTED.ssn) {
    const [a = '', b = '', c = ''] = ssn.split('-');
    out.push(...textNeedles('ssn', ssn), { label: `ssn digits ${ssn}`, text: a + b + c }, { label: `ssn part ${ssn}`, text: `${a}-${b}` }, { label: `ssn part ${ssn}`, text: `${b}-${c}` });
  }
  for (const email of PLANTED.email) {
    const local = email.slice(0, email.indexOf('@'));
    out.push(...textNeedles('email', email), { label: `email local part ${email}`, text: local.slice(1) }, { label: `email prefix ${email}`, text: local.slice(0, 4) });
  }
  for (const phone of PLANTED.phone) {
    out.push(...textNeedles('phone', phone), { label: `phone digits ${phone}`, text: phone.replace(/\D/g, '') }, { label: `phone tail ${phone}`, text: phone.slice(7) });
  }
  for (const token of PLANTED.token) out.push(...textNeedles('token', token).map((n) => ({ ...n })), { label: `token tail ${token}`, text: token.slice(6).toLowerCase() });
  for (const [kind, values] of [['salary', PLANTED.salary], ['bonus', PLANTED.bonus]] as const) {
    for (const value of values) {
      out.push(...textNeedles(kind, String(value)), { label: `${kind} grouped ${value}`, text: value.toLocaleString('en-US') }, { label: `${kind} hex ${value}`, text: value.toString(16), word: true });
    }
  }
  return out;
}

const NEEDLES = buildNeedles();

function found(haystack: string, needle: Needle): boolean {
  if (needle.word !== true) return haystack.includes(needle.text);
  let at = haystack.indexOf(needle.text);
  while (at >= 0) {
    const before = haystack[at - 1] ?? ' ';
    const after = haystack[at + needle.text.length] ?? ' ';
    if (!/[0-9a-f]/.test(before) && !/[0-9a-f]/.test(after)) return true;
    at = haystack.indexOf(needle.text, at + 1);
  }
  return false;
}

/**
 * The planted values found anywhere in an answer (rows, text, error, metadata), except
 * those the statement or its parameters spell out themselves.
 */
export function leaksIn(result: CallToolResult, sql: string, params: Param[] | undefined, extra: readonly Needle[] = []): string[] {
  const asked = `${sql} ${JSON.stringify(params ?? [])}`.toLowerCase();
  // The correlation id is random text (it once spelled "zARa", a planted email's prefix): not data.
  const answer = JSON.stringify(withoutCorrelationIds(result)).toLowerCase();
  return [...NEEDLES, ...extra].filter((n) => !asked.includes(n.text) && found(answer, n)).map((n) => n.label);
}

function withoutCorrelationIds(result: CallToolResult): unknown {
  const meta = { ...result._meta };
  delete meta['bastion/correlation_id'];
  // So is the fence's per-answer nonce (32 hex digits, which can spell a planted number's hex).
  const content = result.content.map((part) =>
    part.type === 'text' ? { ...part, text: part.text.replace(/\(correlation id: [^)]*\)/g, '').replace(/untrusted-data-[0-9a-f]{32}/g, 'untrusted-data') } : part,
  );
  return { ...result, _meta: meta, content };
}

export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first !== undefined && first.type === 'text' ? first.text : '';
}

/** What a caller learns from one answer: the rows, or the error without its correlation id. */
export function answerOf(result: CallToolResult): unknown {
  if (result.isError === true) return { error: textOf(result).replace(/\s*\(correlation id: [^)]*\)/, '') };
  const content = result.structuredContent as { rows: unknown[][] };
  return { rows: content.rows };
}

/**
 * The attack and benign suites of a column-security corpus runner: every case by effect,
 * those a list names as known leaks or known false positives as `it.fails` — so a fix turns
 * its test red until the id leaves the list, and a regression of a passing case cannot hide.
 */
export function describeCorpus<A extends { id: string; cls: string }, B extends { id: string; cls: string }>(corpus: {
  attacks: readonly A[];
  benign: readonly B[];
  knownLeak: (id: string) => boolean;
  knownFalsePositive: (id: string) => boolean;
  checkAttack: (c: A) => Promise<void>;
  checkBenign: (c: B) => Promise<void>;
}): void {
  const { attacks, benign, knownLeak, knownFalsePositive, checkAttack, checkBenign } = corpus;
  describe('attacks: no planted value in any answer or error, no yes/no question answered', () => {
    it.each(attacks.filter((c) => !knownLeak(c.id)))('[$cls] $id', checkAttack);
    // Known leaks: expected to fail; when one stops leaking, remove its id from its list.
    it.fails.each(attacks.filter((c) => knownLeak(c.id)))('[$cls] $id (KNOWN LEAK)', checkAttack);
  });
  describe('benign: answered for the restricted role, exactly as the masked model says', () => {
    it.each(benign.filter((c) => !knownFalsePositive(c.id)))('[$cls] $id', checkBenign);
    // Known false positives: expected to fail; when one passes, remove its id from its list.
    it.fails.each(benign.filter((c) => knownFalsePositive(c.id)))('[$cls] $id (KNOWN FALSE POSITIVE)', checkBenign);
  });
}
