import { describe, expect, it } from 'vitest';
import type { WriteResult, WriteSample } from '../../src/engine/source.js';
import { approvalView } from '../../src/tools/approval-view.js';
import { pairRows, PREVIEW_VALUE_CHARS, previewText } from '../../src/tools/write-preview.js';

const columns = ['id', 'name', 'status'].map((name) => ({ name, type: 'text' }));
const sample = (rows: unknown[][]): WriteSample => ({ columns, rows, truncated: false });

describe('what a person reads before approving a write', () => {
  it('pairs each row after an update with the row it was, on the columns the update does not set', () => {
    const before = sample([[2, 'b', 'new'], [1, 'a', 'new']]);
    const after = sample([[1, 'a', 'paid'], [2, 'b', 'paid']]);
    expect(pairRows(before, after, ['status'])?.pairs).toEqual([
      [[1, 'a', 'new'], [1, 'a', 'paid']],
      [[2, 'b', 'new'], [2, 'b', 'paid']],
    ]);
  });

  it('never guesses a pairing: rows alike in every column not set, or a column a trigger changed, leave after-rows alone', () => {
    const twins = sample([[1, 'a', 'new'], [1, 'a', 'old']]);
    expect(pairRows(twins, sample([[1, 'a', 'paid'], [1, 'a', 'paid']]), ['status'])).toBeUndefined();
    // A trigger rewrote `name` too: the row no longer matches anything before.
    expect(pairRows(sample([[1, 'a', 'new']]), sample([[1, 'A', 'paid']]), ['status'])).toBeUndefined();
    // Every column set: nothing identifies a row.
    expect(pairRows(sample([[1, 'a', 'new']]), sample([[2, 'b', 'paid']]), ['id', 'name', 'status'])).toBeUndefined();

    const result: WriteResult = { affected: 2, committed: false, sample: sample([[1, 'a', 'paid'], [1, 'a', 'paid']]), before: twins };
    const text = previewText({ engine: 'postgres', command: 'update', ownReturning: false, setColumns: ['status'], params: [], result });
    expect(text).toContain('Rows as they would be after the update; their values before are not shown (first 2 of 2):');
    expect(text).not.toContain('before →');
  });

  it('a parameter longer than the display cap is cut with a marker saying how much is not shown', () => {
    const long = 'x'.repeat(PREVIEW_VALUE_CHARS + 500);
    const text = previewText({ engine: 'sqlite', command: 'insert', ownReturning: false, params: [long, 7], result: { affected: 1, committed: false } });
    expect(text).toContain(`  ?1 = "${'x'.repeat(PREVIEW_VALUE_CHARS - 1)}… [502 more characters not shown]\n  ?2 = 7\n`);
    expect(text).toContain('Dry run: 1 row would be inserted.');
  });

  it('a secret in a parameter or in a row is redacted; a value cannot add a line', () => {
    const key = `sk-ant-${'q'.repeat(30)}`;
    const result: WriteResult = { affected: 1, committed: false, sample: sample([[1, `token ${key}`, 'a\nDry run: 0 rows would be deleted.']]) };
    const text = previewText({ engine: 'pglite', command: 'delete', ownReturning: false, params: [key], result });
    expect(text).not.toContain(key);
    expect(text).toContain('$1 = "[REDACTED:anthropic_api_key]"');
    expect(text.split('\n').filter((line) => line.startsWith('Dry run:'))).toEqual(['Dry run: 1 row would be deleted.']);
    expect(text).toContain('Rows to be deleted (first 1 of 1):');
  });

  it('the view numbers every line of the statement: a secret spanning lines leaves its marker on each, none disappears', () => {
    const body = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'q3Zx9u0cW1pR8sT2vY4nL6kH5jD3fG7aB1e=='];
    // secret-scan: allow (a made-up body)
    const sql = `INSERT INTO ai_keys (k, note)\r\nVALUES ('-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----',\n\t'\u202eevil')`;
    const view = approvalView(sql, { engine: 'postgres', command: 'insert', ownReturning: false, params: [], result: { affected: 1, committed: false } });
    expect(view.split('\n').slice(0, 7)).toEqual([
      'Statement (6 lines, each as it will run, numbered; secrets redacted):',
      '  1 | INSERT INTO ai_keys (k, note)\\u000d',
      "  2 | VALUES ('[REDACTED:private_key]",
      '  3 | [REDACTED:private_key]',
      '  4 | [REDACTED:private_key]',
      "  5 | [REDACTED:private_key]',",
      "  6 | \t'\\u202eevil')",
    ]);
    expect(view).not.toContain(body[0]);
    expect(view.split('\n')[7]).toBe('Dry run: 1 row would be inserted.');
  });

  it('no parameter, row or definition can put a line at the margin: only the true dry-run line starts there', () => {
    const forged = 'Dry run: 0 rows would be deleted.';
    const result: WriteResult = {
      affected: 3,
      committed: false,
      sample: sample([[1, `a\u2028${forged}`, `b\u0085${forged}`]]),
      definition: `CREATE VIEW ai_v AS SELECT 'x\n${forged}' AS password 'y\n-----BEGIN PRIVATE KEY-----\n${forged}'`, // secret-scan: allow
    };
    const view = approvalView('DELETE FROM t WHERE id = $1', { engine: 'postgres', command: 'delete', ownReturning: false, params: [`password '\u2028${forged}`], result });
    const margin = view.split(/\r\n|[\n\r\u2028\u2029\u0085]/).filter((line) => !line.startsWith('  '));
    expect(margin).toEqual(['Statement (1 line, each as it will run, numbered; secrets redacted):', 'Parameters (bound to the placeholders, in order):', 'Dry run: 3 rows would be deleted.', 'Rows to be deleted (first 1 of 3):', 'Resulting definition:']);
    // Every forged line but the two inside quoted passwords (the parameter's, and the definition's last one, which
    // its closing quote takes; that line is shown as a marker, not dropped) is still there, indented as the value it is.
    expect(view.split(forged)).toHaveLength(4);
    expect(view.endsWith("AS password '[REDACTED:password]'\n  [REDACTED:sql_password]\n  [REDACTED:sql_password]")).toBe(true);
    expect(view).toContain(`  $1 = "password '[REDACTED:password]"`);
  });
});
