/**
 * The chain index (`audit/chains.jsonl` and its signed head): every process indexes its
 * chain before writing to it, so `bastion audit verify` notices a whole chain deleted,
 * the deletion hidden by cutting the index, an edited index entry, a chain planted or
 * put in another's place; a folder from before the index still verifies and is indexed
 * at the next start.
 */
import { appendFile, cp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditChainDir, AuditFileSink } from '../../src/audit/index.js';
import { signHead, writeHead } from '../../src/audit/head.js';
import { openAuditTrail, type AuditTrail } from '../../src/audit/trail.js';
import { registerAuditCommand } from '../../src/cli/audit.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { captureOutput, callEvent, removeDir, tempDir } from './helpers.js';

const KEY = 'k'.repeat(40);
let dir: string;
const output = captureOutput();

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

function openTrail(audit: Record<string, unknown> = {}): Promise<AuditTrail> {
  const config = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { dir }, audit: { key: KEY, ...audit } });
  return openAuditTrail(config, createLogger('silent'));
}

/** Three processes, one after another, each writing a few records to its own chain; their instances, oldest first. */
async function threeProcesses(): Promise<string[]> {
  const instances: string[] = [];
  for (let p = 0; p < 3; p++) {
    const trail = await openTrail();
    for (let i = 1; i <= 3; i++) await trail.record(callEvent(i));
    await trail.close();
    instances.push(trail.instance);
  }
  return instances;
}

async function verify(): Promise<number | undefined> {
  output.clear();
  process.exitCode = undefined;
  const program = new Command().exitOverride();
  registerAuditCommand(program, { progress: { stream: { isTTY: false, write: () => true } } });
  await program.parseAsync(['node', 'bastion', 'audit', '--dir', dir, '--key-env', 'BASTION_TEST_INDEX_KEY', 'verify']);
  return process.exitCode;
}

const indexFile = (): string => join(dir, 'audit', 'chains.jsonl');

beforeEach(() => {
  vi.stubEnv('BASTION_TEST_INDEX_KEY', KEY);
});

describe('the chain index', () => {
  it('a clean folder with the chains of three processes verifies, the index included', async () => {
    await threeProcesses();
    expect(await verify()).toBeUndefined();
    expect(output.out).toContain('OK: Chain index audit/chains.jsonl: 3 chain(s) indexed, its chain and signed head verify.');
    expect(output.out).toContain(`OK: 3 chain(s) in ${dir}; 9 record(s) verified in all.`);
  });

  it('a configured instance whose first start ended between its head and its index entry starts again and verifies', async () => {
    await threeProcesses();
    // What a crash (or a full disk) right after the chain's seq-0 head and before the index append leaves.
    const chain = auditChainDir(dir, 'crashy');
    await mkdir(chain, { recursive: true, mode: 0o700 });
    await writeHead(chain, signHead({ seq: 0, hash: randomBytes(32).toString('hex'), time: new Date().toISOString() }, KEY));
    for (let start = 0; start < 2; start++) {
      const trail = await openTrail({ instance: 'crashy' });
      await trail.record(callEvent(start + 1));
      await trail.close();
    }
    expect(await verify()).toBeUndefined();
    expect(output.out).toContain('OK: 4 chain(s)');
  });

  it('attack: one of three chain folders deleted; verify exits 1 and names it', async () => {
    const [, middle] = await threeProcesses();
    await rm(auditChainDir(dir, middle ?? ''), { recursive: true });
    expect(await verify()).toBe(1);
    expect(output.out).toContain(`FAILED at audit/${middle}/: CHAIN_MISSING.`);
    expect(output.out).toContain('the chain was deleted');
  });

  it('attack: a chain emptied (every file deleted, the folder kept) fails verify, even one that had no record yet', async () => {
    const [first] = await threeProcesses();
    const idle = await openTrail();
    await idle.close();
    for (const instance of [first ?? '', idle.instance]) {
      await rm(auditChainDir(dir, instance), { recursive: true });
      await mkdir(auditChainDir(dir, instance));
    }
    expect(await verify()).toBe(1);
    expect(output.out).toContain(`FAILED at audit/${first}/audit.head: HEAD_MISSING.`);
    expect(output.out).toContain(`FAILED at audit/${idle.instance}/audit.head: HEAD_MISSING.`);
  });

  it('attack: a configured instance’s chain deleted; its next start refuses instead of starting a fresh chain in its place', async () => {
    const trail = await openTrail({ instance: 'api-1' });
    await trail.record(callEvent(1));
    await trail.close();
    await rm(auditChainDir(dir, 'api-1'), { recursive: true });
    await expect(openTrail({ instance: 'api-1' })).rejects.toThrow(/instance "api-1" is in the chain index but its folder is gone/);
    expect(await verify()).toBe(1);
    expect(output.out).toContain('FAILED at audit/api-1/: CHAIN_MISSING.');
  });

  it('attack: the newest chain deleted and the index cut before its entry; the signed head of the index shows it', async () => {
    const instances = await threeProcesses();
    await rm(auditChainDir(dir, instances[2] ?? ''), { recursive: true });
    const lines = (await readFile(indexFile(), 'utf8')).split('\n').filter(Boolean);
    expect(lines.at(-1)).toContain(instances[2]);
    await writeFile(indexFile(), `${lines.slice(0, -1).join('\n')}\n`);
    expect(await verify()).toBe(1);
    expect(output.out).toContain('FAILED at audit/chains.jsonl line 3: TRUNCATED.');
    // And no later start writes past it: the damage stays for an operator to see.
    await expect(openTrail()).rejects.toThrow(/chain index is damaged .*TRUNCATED/);
  });

  it('attack: an index line edited (a chain renamed in it) fails verify', async () => {
    const [first] = await threeProcesses();
    const text = await readFile(indexFile(), 'utf8');
    await writeFile(indexFile(), text.replace(`"instance":"${first}"`, '"instance":"elsewhere-1"'));
    expect(await verify()).toBe(1);
    expect(output.out).toContain('FAILED at audit/chains.jsonl line 1: HASH_MISMATCH.');
  });

  it('attack: a chain put in another chain’s place, or planted under a new name, fails verify', async () => {
    const [first, second] = await threeProcesses();
    await rm(auditChainDir(dir, first ?? ''), { recursive: true });
    await cp(auditChainDir(dir, second ?? ''), auditChainDir(dir, first ?? ''), { recursive: true });
    await cp(auditChainDir(dir, second ?? ''), auditChainDir(dir, 'planted-1'), { recursive: true });
    expect(await verify()).toBe(1);
    expect(output.out).toContain(`FAILED at audit/${first}/audit.jsonl line 1, seq 1: PREV_MISMATCH. The first record does not start from the genesis value`);
    expect(output.out).toContain('FAILED at audit/planted-1/: CHAIN_UNINDEXED.');
  });

  it('attack: the index and its head deleted together with a chain; verify fails and the next start refuses', async () => {
    const [, middle] = await threeProcesses();
    await rm(auditChainDir(dir, middle ?? ''), { recursive: true });
    await rm(indexFile());
    await rm(join(dir, 'audit', 'chains.head'));
    // Chains created under an index start from its random genesis, so they say an index existed.
    expect(await verify()).toBe(1);
    expect(output.out).toContain('PREV_MISMATCH. The first record does not start from the genesis value');
    await expect(openTrail()).rejects.toThrow(/index has no entry for it/);
  });

  it('a folder from before the index (a chain in the folder itself and unindexed chains) verifies, and the next start indexes it', async () => {
    const root = await AuditFileSink.open({ dir, instance: 'old-host', key: KEY });
    await root.append(callEvent(1));
    await root.close();
    for (const instance of ['old-a', 'old-b']) {
      const sink = await AuditFileSink.open({ dir: auditChainDir(dir, instance), instance, key: KEY });
      await sink.append(callEvent(1));
      await sink.append(callEvent(2));
      await sink.close();
    }
    expect(await verify()).toBeUndefined();
    expect(output.out).toContain('No chain index (audit/chains.jsonl) yet: these chains were written before Bastion kept one; the next server start indexes them.');
    expect(output.out).toContain(`OK: 3 chain(s) in ${dir}; 5 record(s) verified in all.`);

    const trail = await openTrail();
    await trail.record(callEvent(1));
    await trail.close();
    expect(await verify()).toBeUndefined();
    expect(output.out).toContain('Chain index audit/chains.jsonl: 4 chain(s) indexed, its chain and signed head verify; 3 of them written before the index, indexed when a start found them.');
    expect(output.out).toContain(`OK: 4 chain(s) in ${dir}; 6 record(s) verified in all.`);

    // Indexed now: deleting one of the old chains is detected like any other.
    await rm(auditChainDir(dir, 'old-a'), { recursive: true });
    expect(await verify()).toBe(1);
    expect(output.out).toContain('FAILED at audit/old-a/: CHAIN_MISSING.');
  });

  it('a line torn by a crash while indexing is reported, and the next start repairs it and indexes its own chain', async () => {
    await threeProcesses();
    await appendFile(indexFile(), '{"seq":4,"prev":"');
    expect(await verify()).toBe(1);
    expect(output.out).toContain('FAILED at audit/chains.jsonl line 4: TORN_LAST_LINE.');
    const trail = await openTrail();
    await trail.close();
    expect(await verify()).toBeUndefined();
    expect(output.out).toContain('4 chain(s) indexed');
    expect((await readFile(indexFile(), 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);
    // A cut inside the last whole line is not a crash's trace: the head says it was there.
    const text = await readFile(indexFile(), 'utf8');
    await truncate(indexFile(), Buffer.byteLength(text) - 5);
    expect(await verify()).toBe(1);
    expect(output.out).toMatch(/FAILED at audit\/chains\.jsonl line 4: (TRUNCATED|TORN_LAST_LINE)/);
    await expect(openTrail()).rejects.toThrow(/chain index is damaged/);
  });
});
