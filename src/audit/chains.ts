import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HEAD_FILE } from './head.js';
import { listRotatedFiles, LOG_FILE } from './log-files.js';

/**
 * Several processes share one audit folder, each writing its own chain: the chain of
 * instance X lives in `<audit dir>/audit/X/` (its `audit.jsonl`, rotated files,
 * `audit.head` and `audit.lock`), so chains never interleave and each keeps its own
 * hash chain, head, rotation and crash repair. A chain written directly in the audit
 * folder (as Bastion did before there was one chain per process) is still read.
 */
export const CHAINS_DIR = 'audit';

/** An instance name as `audit.instance` allows it; only such folders count as chains. */
export const INSTANCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** The folder of one instance's chain. */
export function auditChainDir(dir: string, instance: string): string {
  if (!INSTANCE_PATTERN.test(instance)) throw new TypeError(`auditChainDir: not an instance name: ${JSON.stringify(instance)}`);
  return join(dir, CHAINS_DIR, instance);
}

export interface AuditChainLocation {
  /** The instance, or null for a chain written directly in the audit folder. */
  readonly instance: string | null;
  /** The folder holding the chain's files. */
  readonly dir: string;
}

/**
 * Every chain in an audit folder: the one directly in it (if any file of a chain is
 * there), then each `audit/<instance>/` folder, by name. A folder never read before
 * is listed even when still empty, so a reader sees a chain from its first record.
 */
export async function listAuditChains(dir: string): Promise<AuditChainLocation[]> {
  const chains: AuditChainLocation[] = [];
  if (await holdsChain(dir)) chains.push({ instance: null, dir });
  let names: string[];
  try {
    names = await readdir(join(dir, CHAINS_DIR));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return chains;
    throw error;
  }
  for (const name of names.sort()) {
    if (!INSTANCE_PATTERN.test(name)) continue;
    const chainDir = join(dir, CHAINS_DIR, name);
    // lstat: a symlink planted among the chains is not followed.
    if ((await lstat(chainDir).catch(() => null))?.isDirectory() === true) chains.push({ instance: name, dir: chainDir });
  }
  return chains;
}

async function holdsChain(dir: string): Promise<boolean> {
  for (const name of [LOG_FILE, HEAD_FILE]) {
    if ((await lstat(join(dir, name)).catch(() => null)) !== null) return true;
  }
  return (await listRotatedFiles(dir)).length > 0;
}
