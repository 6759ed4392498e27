/**
 * The progress reporter of slow CLI steps: a line rewritten in place on a terminal,
 * plain lines when piped, a bounded number of writes however often it is told, and
 * never a password or a terminal escape. Throttling is checked with an injected clock
 * and by counting writes, never by waiting.
 */
import { Command } from 'commander';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAuditCommand } from '../../src/cli/audit.js';
import { registerDoctorCommand } from '../../src/cli/doctor.js';
import { registerInitCommand } from '../../src/cli/init.js';
import { createProgress, PLAIN_INTERVAL_MS, TTY_INTERVAL_MS } from '../../src/cli/progress.js';
import { AuditPgSink } from '../../src/audit/index.js';
import { callEvent, writeLog } from '../audit/helpers.js';
import { createTestDatabase, postgres } from '../helpers/postgres.js';

/** A stream that keeps every write; `isTTY` decides the mode. */
function fakeStream(isTTY: boolean, columns = 120): { writes: string[]; isTTY: boolean; columns: number; write(chunk: string): boolean; text(): string } {
  const writes: string[] = [];
  return {
    writes,
    isTTY,
    columns,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
    text: () => writes.join(''),
  };
}

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

// eslint-disable-next-line no-control-regex -- looking for escapes is the point
const ANSI_ESCAPE = /\u001b/;

describe('createProgress on a terminal (isTTY)', () => {
  it('rewrites one line in place with carriage returns, and ends it with a newline only when asked to keep text', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress('audit verify', { stream, now: clock.now, env: {} });
    progress.step('verifying');
    clock.advance(TTY_INTERVAL_MS);
    progress.update(50, 100, '5 record(s)');
    expect(stream.writes.every((w) => w.startsWith('\r'))).toBe(true);
    expect(stream.text()).not.toContain('\n');
    expect(stream.writes.at(-1)).toContain('audit verify: verifying 50% (5 record(s))');
    progress.done('verified');
    expect(stream.text().endsWith('\n')).toBe(true);
    expect(stream.text()).not.toMatch(ANSI_ESCAPE);
  });

  it('done() without text clears the line (spaces, not an erase escape), so stdout output starts on a clean line', () => {
    const stream = fakeStream(true);
    const progress = createProgress('doctor', { stream, env: {} });
    progress.step('connecting to source main');
    progress.done();
    const last = stream.writes.at(-1) ?? '';
    expect(last).toMatch(/^\r +\r$/);
    expect(last.length - 2).toBe('doctor: connecting to source main'.length);
  });

  it('pads over a longer previous line and cuts a line to the terminal width, so \\r can always rewrite it', () => {
    const stream = fakeStream(true, 30);
    const clock = fakeClock();
    const progress = createProgress('x', { stream, now: clock.now, env: {} });
    progress.step('a very long stage name that would wrap the terminal line');
    expect((stream.writes.at(-1) ?? '').length - 1).toBeLessThanOrEqual(29);
    progress.step('short');
    expect(stream.writes.at(-1)).toMatch(/^\rx: short +$/);
    // A long stage is cut, not the amount: the percentage stays on screen.
    progress.step('verifying the hash chain in /a/very/long/folder/name');
    clock.advance(TTY_INTERVAL_MS);
    progress.update(42, 100, '7 record(s)');
    const last = stream.writes.at(-1) ?? '';
    expect(last.trimEnd()).toMatch(/… 42% \(7 record\(s\)\)$/);
    expect(last.length - 1).toBeLessThanOrEqual(29);
  });

  it('throttles updates to about 10 per second: 1,000 updates over one (fake) second make at most 11 writes', () => {
    const stream = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress('audit verify', { stream, now: clock.now, env: {} });
    progress.step('verifying');
    const before = stream.writes.length;
    for (let i = 1; i <= 1000; i++) {
      clock.advance(1);
      progress.update(i, 1000);
    }
    const updates = stream.writes.length - before;
    expect(updates).toBeGreaterThan(0);
    expect(updates).toBeLessThanOrEqual(1000 / TTY_INTERVAL_MS + 1);
  });

  it('TERM=dumb gets plain lines even on a terminal', () => {
    const stream = fakeStream(true);
    const progress = createProgress('init', { stream, env: { TERM: 'dumb' } });
    progress.step('writing bastion.yaml');
    expect(stream.text()).toBe('init: writing bastion.yaml\n');
  });
});

describe('createProgress when piped (not a TTY)', () => {
  it('writes plain newline-terminated lines, with no \\r and no ANSI escape', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = createProgress('audit verify', { stream, now: clock.now, env: {} });
    progress.step('verifying the hash chain');
    for (let i = 1; i <= 100; i++) progress.update(i, 100, `${i} record(s)`);
    progress.done('done');
    const text = stream.text();
    expect(text).not.toContain('\r');
    expect(text).not.toMatch(ANSI_ESCAPE);
    expect(stream.writes.every((w) => w.endsWith('\n') && w.indexOf('\n') === w.length - 1)).toBe(true);
    expect(text).toContain('audit verify: verifying the hash chain\n');
    expect(text).toContain('audit verify: verifying the hash chain 100% (100 record(s))\n');
  });

  it('with a total, writes one line per 10 % however many updates: 1 + 10 lines for 100,000 updates', () => {
    const stream = fakeStream(false);
    const progress = createProgress('audit verify', { stream, now: fakeClock().now, env: {} });
    progress.step('verifying');
    for (let i = 1; i <= 100_000; i++) progress.update(i, 100_000);
    expect(stream.writes).toHaveLength(11);
    expect(stream.writes.slice(1).map((w) => /(\d+)%/.exec(w)?.[1])).toEqual(['10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
  });

  it('without a total, writes at most one count line per interval of the (fake) clock', () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const progress = createProgress('count', { stream, now: clock.now, env: {} });
    progress.step('reading');
    for (let i = 1; i <= 10_000; i++) {
      clock.advance(1);
      progress.update(i);
    }
    // 10 s of fake time: the step line plus one line per PLAIN_INTERVAL_MS.
    expect(stream.writes.length - 1).toBe(Math.floor(10_000 / PLAIN_INTERVAL_MS));
  });
});

describe('what progress never prints', () => {
  it('redacts a password in a URL and escapes control characters of a crafted name, in both modes', () => {
    for (const isTTY of [true, false]) {
      const stream = fakeStream(isTTY, 500);
      const progress = createProgress('doctor', { stream, env: {} });
      progress.step('connecting to postgres://app:hunter2-secret@db.example.com:5432/app');
      progress.step('instance evil\u001b[2J\nFAKE LINE');
      progress.done();
      expect(stream.text()).not.toContain('hunter2-secret');
      expect(stream.text()).not.toMatch(ANSI_ESCAPE);
      expect(stream.text()).not.toContain('\nFAKE LINE');
    }
  });
});

describe('the commands report progress on their progress stream, not on stdout', () => {
  let dir: string;
  let stdout: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bastion-progress-'));
    stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('audit verify, piped: plain progress lines up to 100 %, and stdout holds only the result', async () => {
    await writeLog(dir, 50);
    const stream = fakeStream(false);
    const program = new Command().exitOverride();
    registerAuditCommand(program, { progress: { stream, env: {} } });
    await program.parseAsync(['node', 'bastion', 'audit', '--dir', dir, 'verify']);
    expect(stdout).toMatch(/^OK: 50 record\(s\) verified/);
    expect(stdout).not.toContain('audit verify:');
    expect(stream.text()).toContain('audit verify: verifying the hash chain in');
    expect(stream.text()).toMatch(/100% \(50 record\(s\)\)\n$/);
    expect(stream.text()).not.toContain('\r');
  });

  it.skipIf(!postgres.ok)('audit verify --postgres: a line per stage and instance, up to 100 % of the head row, never the URL', async () => {
    const db = await createTestDatabase({ seed: false });
    try {
      const sink = await AuditPgSink.open({ url: db.url, table: 'bastion_audit', instance: 'r1' });
      await Promise.all(Array.from({ length: 30 }, (_, i) => sink.append(callEvent(i + 1))));
      await sink.close();
      const config = join(dir, 'bastion.yaml');
      await writeFile(config, ['sources:', '  demo:', '    engine: pglite', 'audit:', '  postgres:', `    url: ${db.url}`, ''].join('\n'));
      const stream = fakeStream(false);
      const program = new Command().exitOverride();
      registerAuditCommand(program, { progress: { stream, env: {} } });
      await program.parseAsync(['node', 'bastion', 'audit', '--config', config, 'verify', '--postgres']);
      expect(stdout).toMatch(/^OK: 30 record\(s\) verified for instance r1/);
      expect(stream.writes).toEqual([
        'audit verify: listing the chains in table bastion_audit\n',
        'audit verify: verifying instance r1\n',
        'audit verify: verifying instance r1 100% (30 record(s))\n',
      ]);
    } finally {
      await db.drop();
    }
  });

  it('init: one progress line per file written', async () => {
    const stream = fakeStream(false);
    const program = new Command().exitOverride();
    registerInitCommand(program, { progress: { stream, env: {} } });
    await program.parseAsync(['node', 'bastion', 'init', '--dir', dir]);
    expect(stream.writes).toEqual([`init: writing ${join(dir, 'bastion.yaml')}\n`, `init: writing ${join(dir, '.env.example')}\n`]);
    expect(stdout).toContain('Wrote');
  });

  it('doctor: a line per stage, one per database probe naming the source but never its URL; --json keeps stdout one JSON document and stderr quiet', async () => {
    const config = join(dir, 'bastion.yaml');
    const lines = ['sources:', '  main:', '    engine: postgres', '    url: postgres://app:doctor-progress-pw@127.0.0.1:1/app', '    pool:', '      connect_timeout_ms: 2000'];
    await writeFile(config, [...lines, 'state:', `  dir: ${join(dir, 'state')}`, ''].join('\n'), { mode: 0o600 });
    const run = async (...args: string[]): Promise<string> => {
      const stream = fakeStream(false);
      const program = new Command().exitOverride();
      registerDoctorCommand(program, { progress: { stream, env: {} } });
      await program.parseAsync(['node', 'bastion', 'doctor', '--config', config, ...args]);
      return stream.text();
    };
    const progress = await run();
    expect(progress).toContain('doctor: checking the configuration\n');
    expect(progress).toContain('doctor: connecting to source main\n');
    expect(progress).not.toContain('doctor-progress-pw');
    expect(progress).not.toContain('127.0.0.1:1');
    expect(stdout).toContain('database-role');
    expect(stdout).not.toContain('doctor:');

    stdout = '';
    expect(await run('--json')).toBe('');
    expect(() => JSON.parse(stdout) as unknown).not.toThrow();
  });
});
