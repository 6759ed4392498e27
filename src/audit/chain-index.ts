import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { withStateFileLock } from '../util/file-lock.js';
import { ensurePrivateDir, openStateFile, readStateFile } from '../util/private-file.js';
import { GENESIS_HASH, lineHash, sealRecord, type AuditKey } from './chain.js';
import { auditChainDir, CHAINS_DIR, INSTANCE_PATTERN, listAuditChains } from './chains.js';
import { AuditLogError } from './errors.js';
import { readHead, signHead, writeHead, type HeadKind } from './head.js';
import { listRotatedFiles, LOG_FILE, parseRecord, readFirstRecord, syncDir } from './log-files.js';

/**
 * The chain index: `<audit dir>/audit/chains.jsonl`, one line per chain ever created in
 * the folder, itself a hash chain (the records' hashing, HMAC with `audit.key`) with a
 * signed head (`chains.head`), appended under a lock by each process as it creates its
 * chain. Each entry names the chain and its genesis: the `prev` of the chain's first
 * record, random for a new chain. So deleting a whole chain leaves an entry with no
 * folder; removing the entry too breaks the index's chain or falls behind its head; and
 * a chain whose genesis is not the all-zero value of chains from before the index cannot
 * be indexed again as if it were old.
 */
export const INDEX_FILE = 'chains.jsonl';
export const INDEX_HEAD: HeadKind = { file: 'chains.head', label: 'bastion-audit-index-head' };
const INDEX_LOCK = 'chains.lock';
const HEX64 = /^[0-9a-f]{64}$/;

export interface ChainIndexEntry {
  readonly seq: number;
  /** null: the chain written directly in the audit folder (before one chain per process). */
  readonly instance: string | null;
  readonly genesis: string;
  readonly time: string;
  /** Found on disk at a start, written before the folder had an index. */
  readonly migrated: boolean;
}

export type ChainIndexRead =
  | { readonly state: 'missing' }
  | {
      readonly state: 'invalid';
      /** The entries before the failure. */
      readonly entries: readonly ChainIndexEntry[];
      /** The file at fault, relative to the audit folder, and its line (0: the head). */
      readonly file: string;
      readonly line: number;
      readonly reason: string;
      readonly detail: string;
    }
  | { readonly state: 'valid'; readonly entries: readonly ChainIndexEntry[]; readonly seq: number; readonly hash: string; readonly tornBytes: number; readonly goodLength: number };

/** One line per chain ever started in the folder: far below this even after years of restarts. */
const MAX_INDEX_BYTES = 256 * 1024 * 1024;

const INDEX_PATH = `${CHAINS_DIR}/${INDEX_FILE}`;
const HEAD_PATH = `${CHAINS_DIR}/${INDEX_HEAD.file}`;

/** Reads and checks the whole index (a line per chain: small) against its signed head. */
export async function readChainIndex(dir: string, key: AuditKey | undefined): Promise<ChainIndexRead> {
  const root = join(dir, CHAINS_DIR);
  // The safe reader: a FIFO, symlink or foreign file in the index's place is refused, never read.
  let bytes: Buffer | null;
  try {
    const file = await readStateFile(join(root, INDEX_FILE), 'the audit chain index', { forbiddenMode: 0o022, maxBytes: MAX_INDEX_BYTES });
    bytes = file === undefined ? null : Buffer.from(file.text, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    bytes = null;
  }
  const head = await readHead(root, key, INDEX_HEAD).catch(() => ({ state: 'missing' }) as const);
  if (bytes === null) {
    if (head.state === 'missing') return { state: 'missing' };
    return invalid([], INDEX_PATH, 0, 'INDEX_MISSING', 'The chain index is gone but its signed head is there: the index was deleted.');
  }
  const goodLength = bytes.lastIndexOf(0x0a) + 1;
  const tornBytes = bytes.length - goodLength;
  const lines = bytes.toString('utf8', 0, goodLength).split('\n').slice(0, -1);
  const entries: ChainIndexEntry[] = [];
  const hashes: string[] = [];
  let hash = GENESIS_HASH;
  for (const [i, line] of lines.entries()) {
    const record = parseRecord(line);
    const instance = record?.['instance'];
    const genesis = record?.['genesis'];
    const time = record?.['time'];
    if (record === null || (instance !== null && (typeof instance !== 'string' || !INSTANCE_PATTERN.test(instance))) || typeof genesis !== 'string' || !HEX64.test(genesis) || typeof time !== 'string') {
      return invalid(entries, INDEX_PATH, i + 1, 'UNPARSABLE', 'The line is not a chain index entry.');
    }
    if (lineHash(line, record.prev, record.hash, key) !== record.hash) {
      return invalid(entries, INDEX_PATH, i + 1, 'HASH_MISMATCH', 'The entry does not match its hash: it was edited, or the index uses a different key.');
    }
    if (record.prev !== hash || record.seq !== i + 1) {
      return invalid(entries, INDEX_PATH, i + 1, 'PREV_MISMATCH', 'The entry does not follow the one before it: an entry was deleted, reordered or inserted.');
    }
    hash = record.hash;
    hashes.push(hash);
    entries.push({ seq: record.seq, instance, genesis, time, migrated: record['migrated'] === true });
  }
  if (head.state === 'invalid') return invalid(entries, HEAD_PATH, 0, 'HEAD_INVALID', `The index's head checkpoint is not valid: ${head.detail}.`);
  if (head.state === 'missing') {
    if (entries.length === 0) return { state: 'valid', entries, seq: 0, hash, tornBytes, goodLength };
    return invalid(entries, HEAD_PATH, 0, 'HEAD_MISSING', "The index's head checkpoint is missing, so a cut tail of the index could not be detected.");
  }
  if (head.head.seq > entries.length) {
    const cut = head.head.seq - entries.length;
    return invalid(entries, INDEX_PATH, entries.length + 1, 'TRUNCATED', `The index ends at entry ${entries.length} but its head checkpoint says ${head.head.seq}: ${cut} entr${cut === 1 ? 'y was' : 'ies were'} removed from the end.`);
  }
  if (head.head.seq > 0 && hashes[head.head.seq - 1] !== head.head.hash) {
    return invalid(entries, INDEX_PATH, head.head.seq, 'HEAD_MISMATCH', "The index's head checkpoint names a different entry at this position.");
  }
  return { state: 'valid', entries, seq: entries.length, hash, tornBytes, goodLength };
}

function invalid(entries: readonly ChainIndexEntry[], file: string, line: number, reason: string, detail: string): ChainIndexRead {
  return { state: 'invalid', entries, file, line, reason, detail };
}

/**
 * Registers `instance`'s chain in the index before its first record (a configured
 * instance already indexed keeps its entry), and indexes the chains found on disk that
 * were written before the folder had an index (marked `migrated`). Returns the genesis
 * of every indexed chain. A damaged index, or a chain on disk that was indexed once and
 * lost its entry, stops the start: continuing would write past the evidence.
 */
export async function registerChain(dir: string, instance: string, key: AuditKey | undefined): Promise<ReadonlyMap<string | null, string>> {
  const root = join(dir, CHAINS_DIR);
  // Every level checked (owner, mode) before anything is made in it, as the chains' own sink does.
  await ensurePrivateDir(root, 'the audit chains', dir);
  return withStateFileLock(join(root, INDEX_LOCK), 'the audit chain index', async () => {
    const index = await readChainIndex(dir, key);
    if (index.state === 'invalid') {
      throw new AuditLogError(
        'AUDIT_INDEX_INVALID',
        `The audit chain index is damaged (${index.file}${index.line > 0 ? ` line ${index.line}` : ''}: ${index.reason}); run \`bastion audit verify\`, keep the folder as evidence and use a new audit folder.`,
      );
    }
    const genesis = new Map<string | null, string>((index.state === 'valid' ? index.entries : []).map((e) => [e.instance, e.genesis]));
    const added: Omit<ChainIndexEntry, 'seq' | 'time'>[] = [];
    for (const chain of await listAuditChains(dir)) {
      if (genesis.has(chain.instance)) continue;
      const first = await firstPrev(chain.dir);
      if (first !== null && first !== GENESIS_HASH) {
        throw new AuditLogError(
          'AUDIT_INDEX_INVALID',
          `The audit chain ${chain.instance ?? 'in the folder itself'} starts from a chain index genesis, but the index has no entry for it: the index lost entries. Run \`bastion audit verify\`, keep the folder as evidence and use a new audit folder.`,
        );
      }
      // No record yet, and a head at seq 0 on a random genesis: a start that wrote the head and
      // ended (crash, full disk) before its index entry. Index it as what it is, so the next
      // start of that instance continues it instead of finding a head its log contradicts.
      const interrupted = first === null ? await interruptedGenesis(chain.dir, key) : undefined;
      added.push({ instance: chain.instance, genesis: interrupted ?? GENESIS_HASH, migrated: interrupted === undefined });
      genesis.set(chain.instance, interrupted ?? GENESIS_HASH);
    }
    const own = index.state === 'valid' ? index.entries.find((entry) => entry.instance === instance) : undefined;
    if (own !== undefined && !(await isFolder(auditChainDir(dir, instance)))) {
      // Starting it again would put a fresh chain where the indexed one was deleted.
      throw new AuditLogError('AUDIT_INDEX_INVALID', `The audit chain of instance "${instance}" is in the chain index but its folder is gone: it was deleted. Run \`bastion audit verify\`, keep the folder as evidence and use a new audit folder.`);
    }
    if (!genesis.has(instance)) {
      const fresh = randomBytes(32).toString('hex');
      // The folder and a head at the genesis before the entry: a reader that sees the entry always
      // finds the chain, and a chain emptied of its files (head included) cannot pass for a new one.
      const chainDir = auditChainDir(dir, instance);
      await ensurePrivateDir(chainDir, 'the audit chains', dir);
      await writeHead(chainDir, signHead({ seq: 0, hash: fresh, time: new Date().toISOString() }, key));
      added.push({ instance, genesis: fresh, migrated: false });
      genesis.set(instance, fresh);
    }
    if (added.length > 0) await appendEntries(root, index.state === 'valid' ? index : null, added, key);
    return genesis;
  });
}

/** Appends the entries, fdatasyncs them, then moves the signed head (never ahead of what is on disk). */
async function appendEntries(
  root: string,
  index: { seq: number; hash: string; tornBytes: number; goodLength: number } | null,
  added: readonly Omit<ChainIndexEntry, 'seq' | 'time'>[],
  key: AuditKey | undefined,
): Promise<void> {
  const path = join(root, INDEX_FILE);
  const handle = await openStateFile(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 'the audit chain index', { forbiddenMode: 0o022 });
  if (handle === undefined) throw new AuditLogError('AUDIT_INDEX_INVALID', `Could not open the audit chain index ${path}.`);
  let seq = index?.seq ?? 0;
  let hash = index?.hash ?? GENESIS_HASH;
  const time = new Date().toISOString();
  try {
    // A line torn by a crash mid-append: its process had not yet written a record to its chain.
    if (index !== null && index.tornBytes > 0) await handle.truncate(index.goodLength);
    let text = '';
    for (const entry of added) {
      const body = { seq: seq + 1, prev: hash, time, instance: entry.instance, genesis: entry.genesis, ...(entry.migrated ? { migrated: true } : {}) };
      const { record, line } = sealRecord(body, key);
      seq = record.seq;
      hash = record.hash;
      text += `${line}\n`;
    }
    await handle.write(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  if (index === null) await syncDir(root);
  await writeHead(root, signHead({ seq, hash, time }, key, INDEX_HEAD), INDEX_HEAD);
}

async function isFolder(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isDirectory() === true;
}

/** The `prev` of a chain's first record (in its oldest file), or null when it has none yet. */
/** The genesis a chain's seq-0 head holds when it was registered no further than its head. */
async function interruptedGenesis(chainDir: string, key: AuditKey | undefined): Promise<string | undefined> {
  const head = await readHead(chainDir, key).catch(() => undefined);
  return head?.state === 'valid' && head.head.seq === 0 && head.head.hash !== GENESIS_HASH ? head.head.hash : undefined;
}

async function firstPrev(chainDir: string): Promise<string | null> {
  const oldest = (await listRotatedFiles(chainDir))[0]?.name ?? LOG_FILE;
  const handle = await open(join(chainDir, oldest), 'r').catch(() => null);
  if (handle === null) return null;
  try {
    return (await readFirstRecord(handle))?.prev ?? null;
  } finally {
    await handle.close();
  }
}
