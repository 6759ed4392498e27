/**
 * The canonical serializer is the chain's foundation: the same value must always give
 * the same bytes, equal to JSON.stringify with keys sorted at every level, and a
 * sealed line must be exactly that with its hash member in sorted place.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, recordHash } from '../../src/audit/index.js';
import { sealRecord } from '../../src/audit/chain.js';

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortDeep(item)));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortDeep((value as Record<string, unknown>)[key]);
  return out;
}

const SAMPLES: unknown[] = [
  { b: 1, a: 'x', c: [3, 2, { z: null, y: true, x: -0.5 }] },
  { 'weird key"\\': 1, 'ünïcödé': 'é', '': 0, $dollar: 1e21, n: -0, big: 123456789.125 },
  { nested: { deeper: { deepest: ['a', { q: 1, p: 2 }] } }, undef: undefined, f: () => 1 },
  [1, 'two', null, false, { k: 'v' }],
  'a "quoted" string with \\ and \n newline',
  { tab: 'a\tb', ctrl: '\u0001', emoji: '🙂' },
];

describe('canonicalJson', () => {
  it.each(SAMPLES.map((s, i) => [i, s] as const))('sample %i equals JSON.stringify with sorted keys', (_i, sample) => {
    expect(canonicalJson(sample)).toBe(JSON.stringify(sortDeep(sample)));
  });

  it('escapes line breakers and invisible controls beyond JSON.stringify, keeping one line', () => {
    const text = canonicalJson({ s: 'a\u2028b\u2029c\u0085d\u200be\u202ef\ufeff' });
    expect(text).toBe('{"s":"a\\u2028b\\u2029c\\u0085d\\u200be\\u202ef\\ufeff"}');
  });

  it('a sealed line is the canonical record with hash in its sorted place, and its hash verifies', () => {
    for (const extra of [{}, { aaa: 1 }, { zzz: 'last' }, { hash: 'ignored', ha: 1, hb: 2 }]) {
      const { record, line } = sealRecord({ seq: 1, prev: '0'.repeat(64), tool: 'query', ...extra });
      expect(line).toBe(canonicalJson(record));
      expect(recordHash(record)).toBe(record.hash);
      expect(record.hash).not.toBe('ignored');
    }
  });
});

describe('sealBatch', () => {
  it('an event cannot set the chain fields, even through an own __proto__ member', async () => {
    const { sealBatch } = await import('../../src/audit/seal-batch.js');
    const hostile = JSON.parse('{"__proto__": {"seq": 999}, "seq": 7, "prev": "x", "instance": "other", "principal": {"id": "p", "kind": "local", "role": "admin"}, "correlation_id": "c", "decision": "allow", "outcome": "ok"}') as Parameters<typeof sealBatch>[0][number]['event'];
    const sealed = sealBatch([{ event: hostile, time: '2026-01-01T00:00:00.000Z' }], { seq: 0, hash: '0'.repeat(64) }, 'i-1', undefined);
    const record = sealed.records[0] as unknown as Record<string, unknown>;
    expect(record).toMatchObject({ seq: 1, prev: '0'.repeat(64), instance: 'i-1' });
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(sealed.lines[0]).toBe(canonicalJson(record));
    expect(recordHash(record)).toBe(record['hash']);
  });
});
