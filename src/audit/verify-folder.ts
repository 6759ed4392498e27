import { setTimeout as sleep } from 'node:timers/promises';
import { GENESIS_HASH, type AuditKey } from './chain.js';
import { INDEX_FILE, readChainIndex, type ChainIndexEntry, type ChainIndexRead } from './chain-index.js';
import { CHAINS_DIR, listAuditChains, type AuditChainLocation } from './chains.js';

/** A chain on disk and the genesis its first record must start from. */
export interface ChainToVerify extends AuditChainLocation {
  readonly genesis: string;
  /** Created under the chain index (not found and indexed later): its head exists from before its entry. */
  readonly requireHead: boolean;
}

/** Something wrong with the folder as a whole rather than inside one chain. */
export interface FolderFinding {
  /** Relative to the audit folder. */
  readonly path: string;
  readonly line: number;
  readonly reason: string;
  readonly detail: string;
}

export interface ChainIndexCheck {
  readonly chains: readonly ChainToVerify[];
  readonly findings: readonly FolderFinding[];
  /** A sentence about the index for a person (no record content); empty when there is nothing to say. */
  readonly note: string;
}

/** A process registers its chain in milliseconds: a folder seen before its entry is looked up again after this. */
const REGISTER_SETTLE_MS = 300;

/**
 * Checks the folder's chain index and matches it with the chains on disk: every indexed
 * chain must exist, every chain on disk must be indexed, and each chain is then verified
 * from its indexed genesis. A folder without an index (written before Bastion kept one)
 * is read as before; the next server start indexes its chains.
 */
export async function checkChainIndex(dir: string, key: AuditKey | undefined): Promise<ChainIndexCheck> {
  let index = await readChainIndex(dir, key);
  let onDisk = await listAuditChains(dir);
  if (index.state === 'missing') {
    const note = onDisk.length === 0 ? '' : `No chain index (${CHAINS_DIR}/${INDEX_FILE}) yet: these chains were written before Bastion kept one; the next server start indexes them.`;
    return { chains: onDisk.map((chain) => ({ ...chain, genesis: GENESIS_HASH, requireHead: false })), findings: [], note };
  }
  const first = index;
  if (first.state === 'valid' && onDisk.some((chain) => !indexed(first, chain))) {
    // A process registering right now creates its folder, then its entry, under the index lock.
    await sleep(REGISTER_SETTLE_MS);
    index = await readChainIndex(dir, key);
    onDisk = await listAuditChains(dir);
  }
  const entries = index.state === 'missing' ? [] : index.entries;
  const byInstance = new Map(entries.map((entry) => [entry.instance, entry]));
  const findings: FolderFinding[] = [];
  if (index.state === 'invalid') findings.push({ path: index.file, line: index.line, reason: index.reason, detail: index.detail });
  if (index.state === 'valid' && index.tornBytes > 0) {
    findings.push({
      path: `${CHAINS_DIR}/${INDEX_FILE}`,
      line: entries.length + 1,
      reason: 'TORN_LAST_LINE',
      detail: `The last line (${index.tornBytes} bytes) has no line end: an entry cut short by a crash. The next start repairs it.`,
    });
  }
  for (const entry of entries) {
    if (onDisk.some((chain) => chain.instance === entry.instance)) continue;
    findings.push({ path: chainPath(entry.instance), line: 0, reason: 'CHAIN_MISSING', detail: `The chain index names this chain (entry ${entry.seq}, created ${entry.time}) but it is not there: the chain was deleted.` });
  }
  if (index.state === 'valid') {
    for (const chain of onDisk) {
      if (indexed(index, chain)) continue;
      findings.push({ path: chainPath(chain.instance), line: 0, reason: 'CHAIN_UNINDEXED', detail: 'This chain is not in the chain index: it was put there by hand, or its index entry was removed.' });
    }
  }
  const chains = onDisk.map((chain) => {
    const entry = byInstance.get(chain.instance);
    return { ...chain, genesis: entry?.genesis ?? GENESIS_HASH, requireHead: entry !== undefined && !entry.migrated };
  });
  return { chains, findings, note: index.state === 'valid' ? describe(entries) : '' };
}

function indexed(index: Extract<ChainIndexRead, { state: 'valid' }>, chain: AuditChainLocation): boolean {
  return index.entries.some((entry) => entry.instance === chain.instance);
}

function chainPath(instance: string | null): string {
  return instance === null ? 'audit.jsonl (the chain in the folder itself)' : `${CHAINS_DIR}/${instance}/`;
}

function describe(entries: readonly ChainIndexEntry[]): string {
  const migrated = entries.filter((entry) => entry.migrated).length;
  const old = migrated > 0 ? `; ${migrated} of them written before the index, indexed when a start found them` : '';
  return `Chain index ${CHAINS_DIR}/${INDEX_FILE}: ${entries.length} chain(s) indexed, its chain and signed head verify${old}.`;
}

/** The genesis the chain index names for one chain (the all-zero value without an index or entry): to verify that chain alone. */
export async function indexedGenesis(dir: string, instance: string | null, key?: AuditKey): Promise<string> {
  const index = await readChainIndex(dir, key);
  const entries = index.state === 'missing' ? [] : index.entries;
  return entries.find((entry) => entry.instance === instance)?.genesis ?? GENESIS_HASH;
}
