/**
 * The per-connection prepared-statement cache: a text goes unnamed the first time (a
 * one-off statement never stays in the backend), is named the second time and reused
 * from then on; what it remembers of texts seen once stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { StatementCache } from '../../src/engines/postgres/statement-cache.js';

describe('StatementCache', () => {
  it('sends a text unnamed the first time, names it the second, and reuses the name after', () => {
    const cache = new StatementCache();
    expect(cache.prepare('SELECT 1')).toEqual({ name: '', ready: false });
    const named = cache.prepare('SELECT 1');
    expect(named.name).toMatch(/^bastion_/);
    expect(named.ready).toBe(false);
    expect(cache.prepare('SELECT 1')).toEqual({ name: named.name, ready: true });
  });

  it('a stream of one-off texts is never named and what it remembers stays bounded', () => {
    const cache = new StatementCache();
    const text = (i: number): string => `SELECT abalance FROM pgbench_accounts WHERE aid = ${i} -- ${'x'.repeat(1000)}`;
    for (let i = 0; i < 2000; i++) expect(cache.prepare(text(i)).name).toBe('');
    // The oldest were forgotten: seen again, they are still one-offs.
    expect(cache.prepare(text(0)).name).toBe('');
    // The latest is remembered and gets a name.
    expect(cache.prepare(text(1999)).name).toMatch(/^bastion_/);
  });

  it('a text longer than the memory is never remembered, so never named', () => {
    const cache = new StatementCache();
    const long = `SELECT '${'y'.repeat(300 * 1024)}'`;
    expect(cache.prepare(long).name).toBe('');
    expect(cache.prepare(long).name).toBe('');
  });

  it('keeps at most 200 named statements and closes the oldest to make room', () => {
    const cache = new StatementCache();
    const names: string[] = [];
    for (let i = 0; i < 201; i++) {
      cache.prepare(`SELECT ${i}`);
      const p = cache.prepare(`SELECT ${i}`);
      names.push(p.name);
      if (i < 200) expect(p.evicted).toBeUndefined();
      else expect(p.evicted).toBe(names[0]);
    }
  });

  it('texts each seen twice (named, then pushed out by newer ones) keep its memory bounded', () => {
    const cache = new StatementCache();
    for (let i = 0; i < 50_000; i++) {
      cache.prepare(`SELECT ${i}`);
      cache.prepare(`SELECT ${i}`);
    }
    // What it keeps of texts seen once is a queue; named texts must not pile up in it.
    const queued = (cache as unknown as { order: string[]; oldest: number }).order.length - (cache as unknown as { oldest: number }).oldest;
    expect(queued).toBeLessThanOrEqual(1024 + 2);
    // Still working: a new text goes unnamed, then gets a name.
    expect(cache.prepare('SELECT -1').name).toBe('');
    expect(cache.prepare('SELECT -1').name).toMatch(/^bastion_/);
  });
});
