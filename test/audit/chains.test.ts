/**
 * One audit chain per process on a shared folder: each server writes `audit/<instance>/`
 * under an instance name of its own, `bastion audit verify` and `tail` cover every chain,
 * and the chain of a process killed while writing (its lock left behind, a torn last
 * line, no head yet) is closed by the next start so that it verifies.
 */
import { appendFile, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditChainDir, AuditFileSink, indexedGenesis, listAuditChains, verifyAuditLog } from '../../src/audit/index.js';
import { defaultInstance } from '../../src/audit/trail.js';
import { registerAuditCommand } from '../../src/cli/audit.js';
import { captureOutput, trailsIn, callEvent, removeDir, tempDir } from './helpers.js';

let dir: string;
const output = captureOutput();

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

const trail = trailsIn(() => dir);

async function run(signal: AbortSignal | undefined, ...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerAuditCommand(program, { signal, progress: { stream: { isTTY: false, write: () => true } } });
  await program.parseAsync(['node', 'bastion', 'audit', '--dir', dir, ...args]);
}

/** A chain written by a process that was killed: records, then a torn line, no head, and its lock. */
async function killedChain(instance: string, records: number): Promise<string> {
  const chain = auditChainDir(dir, instance);
  const sink = await AuditFileSink.open({ dir: chain, instance });
  for (let i = 1; i <= records; i++) await sink.append(callEvent(i));
  await sink.close();
  // Killed before its first head checkpoint, in the middle of a write, holding its lock.
  await rm(join(chain, 'audit.head'));
  await appendFile(join(chain, 'audit.jsonl'), '{"seq":4,"prev":"');
  await writeFile(join(chain, 'audit.lock'), `${JSON.stringify({ pid: 2147483646, host: hostname(), nonce: 'x' })}\n`);
  await lastBeat(join(chain, 'audit.lock'));
  return chain;
}

/** Its writer was killed a while ago: its heartbeat stopped, past the short bound. */
async function lastBeat(lock: string): Promise<void> {
  const then = new Date(Date.now() - 20_000);
  await utimes(lock, then, then);
}

describe('one chain per process', () => {
  it('the default instance is new for every process start and a valid instance name', () => {
    const a = defaultInstance();
    const b = defaultInstance();
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`));
    expect(a).toContain(`-${process.pid}-`);
  });

  it('two servers on one folder write a chain each, never into each other’s, and verify covers both', async () => {
    const [a, b] = [await trail(), await trail()];
    expect(a.instance).not.toBe(b.instance);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).record(callEvent(i))));
    await a.close();
    await b.close();
    const chains = await listAuditChains(dir);
    expect(chains.map((c) => c.instance).sort()).toEqual([a.instance, b.instance].sort());
    for (const chain of chains) {
      expect(await verifyAuditLog({ dir: chain.dir, genesis: await indexedGenesis(dir, chain.instance) })).toMatchObject({ ok: true, records: 10 });
      const lines = (await readFile(join(chain.dir, 'audit.jsonl'), 'utf8')).trim().split('\n');
      expect(lines.every((l) => (JSON.parse(l) as { instance: string }).instance === chain.instance)).toBe(true);
    }
    await run(undefined, 'verify');
    expect(output.out).toContain(`OK: 2 chain(s) in ${dir}; 20 record(s) verified in all.`);
    expect(process.exitCode).toBeUndefined();
  });

  it('a configured instance is one chain: reopening it continues it', async () => {
    const first = await trail({ instance: 'api-1' });
    await first.record(callEvent(1));
    await first.close();
    const again = await trail({ instance: 'api-1' });
    await again.record(callEvent(2));
    await again.close();
    expect(await listAuditChains(dir)).toEqual([{ instance: 'api-1', dir: auditChainDir(dir, 'api-1') }]);
    expect(await verifyAuditLog({ dir: auditChainDir(dir, 'api-1'), genesis: await indexedGenesis(dir, 'api-1') })).toMatchObject({ ok: true, records: 2 });
  });

  it('a configured instance another live writer holds is refused, naming audit.instance and the fix', async () => {
    const chain = auditChainDir(dir, 'api-1');
    const holder = await AuditFileSink.open({ dir: chain, instance: 'api-1' });
    try {
      // The lock says: this process. A second writer in the same process is a second writer all the same.
      await expect(AuditFileSink.open({ dir: chain, instance: 'api-1', lockWaitMs: 50 })).rejects.toMatchObject({
        code: 'AUDIT_LOCKED',
        message: expect.stringMatching(/writing the audit chain of instance "api-1".*leave audit\.instance unset/) as string,
      });
    } finally {
      await holder.close();
    }
  });
});

describe('a chain left by a killed process', () => {
  it('is closed by the next start: the torn line becomes a gap, the head is written, the lock is gone', async () => {
    const chain = await killedChain('desk-1', 3);
    expect((await verifyAuditLog({ dir: chain })).ok).toBe(false);
    await trail();
    const result = await verifyAuditLog({ dir: chain });
    expect(result).toMatchObject({ ok: true, records: 4, gaps: 1 });
    await expect(stat(join(chain, 'audit.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    const gap = JSON.parse((await readFile(join(chain, 'audit.jsonl'), 'utf8')).trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    expect(gap).toMatchObject({ seq: 4, outcome: 'gap', reason: 'TORN_TAIL_REPAIRED', instance: 'desk-1' });
  });

  it('also when it is the one chain an earlier Bastion wrote directly in the folder', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'old-host' });
    for (let i = 1; i <= 2; i++) await sink.append(callEvent(i));
    await sink.close();
    await appendFile(join(dir, 'audit.jsonl'), '{"seq":3');
    await writeFile(join(dir, 'audit.lock'), '2147483646\n');
    await lastBeat(join(dir, 'audit.lock'));
    await trail();
    expect(await verifyAuditLog({ dir })).toMatchObject({ ok: true, records: 3, gaps: 1 });
    const gap = JSON.parse((await readFile(join(dir, 'audit.jsonl'), 'utf8')).trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    expect(gap).toMatchObject({ outcome: 'gap', instance: 'old-host' });
    await expect(stat(join(dir, 'audit.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('only when its writer is dead: a live writer’s chain is left exactly as it is', async () => {
    const chain = await killedChain('desk-2', 2);
    // This test's own parent process stands for a live server writing the chain.
    const lock = `${JSON.stringify({ pid: process.ppid, host: hostname(), nonce: 'y' })}\n`;
    await writeFile(join(chain, 'audit.lock'), lock);
    const before = await readFile(join(chain, 'audit.jsonl'), 'utf8');
    await trail();
    expect(await readFile(join(chain, 'audit.jsonl'), 'utf8')).toBe(before);
    expect(await readFile(join(chain, 'audit.lock'), 'utf8')).toBe(lock);
    expect(await readdir(chain)).not.toContain('audit.head');
  });
});

describe('bastion audit over several chains', () => {
  it('verify reports each chain and fails when any one fails, naming its file', async () => {
    const [a, b] = [await trail({ instance: 'api-1' }), await trail({ instance: 'api-2' })];
    for (let i = 1; i <= 5; i++) await Promise.all([a.record(callEvent(i)), b.record(callEvent(i))]);
    await a.close();
    await b.close();
    const file = join(auditChainDir(dir, 'api-2'), 'audit.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"rows":3', '"rows":4'));
    await run(undefined, 'verify');
    expect(output.out).toContain(`OK: 5 record(s) verified in ${join(auditChainDir(dir, 'api-1'), 'audit.jsonl')}.`);
    expect(output.out).toContain('FAILED at audit/api-2/audit.jsonl line 3, seq 3: HASH_MISMATCH');
    expect(output.out).toContain(`FAILED: 1 of 2 chain(s) in ${dir}`);
    expect(process.exitCode).toBe(1);
  });

  it('tail merges the chains by time and names each record’s instance', async () => {
    const [a, b] = [await trail({ instance: 'api-1' }), await trail({ instance: 'api-2' })];
    // Records a few milliseconds apart, so each has a time of its own to be ordered by.
    const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 3));
    for (let i = 1; i <= 4; i++) {
      await a.record(callEvent(i, { tool: `a${i}` }));
      await tick();
      await b.record(callEvent(i, { tool: `b${i}` }));
      await tick();
    }
    await run(undefined, 'tail', '-n', '5');
    const lines = output.out.trimEnd().split('\n');
    expect(lines.map((l) => / (\S+) source=/.exec(l)?.[1])).toEqual(['b2', 'a3', 'b3', 'a4', 'b4']);
    expect(lines[0]).toMatch(/^\S+ \[api-2\] #2 /);
  });

  it('tail -f follows every chain, and a chain that appears while it runs from its first record', async () => {
    const a = await trail({ instance: 'api-1' });
    await a.record(callEvent(1, { tool: 'a1' }));
    const stop = new AbortController();
    const following = run(stop.signal, 'tail', '-n', '1', '-f');
    const tools = (): string[] => [...output.out.matchAll(/ (\w+) source=/g)].map((m) => m[1] ?? '');
    try {
      await expect.poll(tools).toEqual(['a1']);
      await a.record(callEvent(2, { tool: 'a2' }));
      const b = await trail({ instance: 'api-2' });
      await b.record(callEvent(1, { tool: 'b1' }));
      await b.record(callEvent(2, { tool: 'b2' }));
      await expect.poll(() => tools().sort(), { timeout: 10_000, interval: 50 }).toEqual(['a1', 'a2', 'b1', 'b2']);
      expect(output.err).toContain('following the new chain api-2');
    } finally {
      stop.abort();
      await following;
    }
  });
});
