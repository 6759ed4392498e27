import { join, resolve } from 'node:path';
import { z } from 'zod';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { withStateFileLock } from '../util/file-lock.js';
import { ensurePrivateDir, readPrivateFile, writePrivateFileAtomic } from '../util/private-file.js';
import {
  APPROVAL_ID_PATTERN,
  APPROVAL_TOOLS,
  buildApproval,
  checkDecision,
  checkNewApproval,
  checkSince,
  generateApprovalId,
  judgeConsume,
  KEEP_DECIDED_MS,
  notDecidable,
  SHA256_HEX,
  toApproval,
  type Approval,
  type ApprovalBinding,
  type ApprovalStore,
  type ApprovalStoreOptions,
  type ConsumeResult,
  type NewApproval,
  type StoredApproval,
} from './store.js';

export const APPROVALS_FILE = 'approvals.json';
const WHAT = 'the approvals file';
/** Enough for any honest backlog; beyond it, finished approvals go first and then creation is refused. */
export const MAX_FILE_APPROVALS = 10_000;

export interface FileApprovalStoreOptions extends ApprovalStoreOptions {
  /** At most this many records in the file (default 10,000). */
  readonly maxRecords?: number | undefined;
}

/**
 * Approvals in `<state.dir>/approvals.json`, a private file (0600 in a 0700 folder)
 * replaced atomically. Every change — create, decide, consume — re-reads the file
 * under a lock file, so the CLI and any number of servers on one folder never lose
 * each other's changes and an approval is used at most once.
 */
export class FileApprovalStore implements ApprovalStore {
  readonly location: string;
  private readonly lockPath: string;
  private readonly log: Logger | undefined;
  private readonly now: () => Date;
  private readonly maxRecords: number;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    options: FileApprovalStoreOptions,
  ) {
    this.location = path;
    this.lockPath = `${path}.lock`;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
    this.maxRecords = options.maxRecords ?? MAX_FILE_APPROVALS;
  }

  /** Opens the store; refuses (CONFIG_INVALID, naming the path) a file others can read or one that does not parse. */
  static async open(dir: string, options: FileApprovalStoreOptions = {}): Promise<FileApprovalStore> {
    const absolute = resolve(dir);
    await ensurePrivateDir(absolute, WHAT);
    const store = new FileApprovalStore(join(absolute, APPROVALS_FILE), options);
    await store.read();
    return store;
  }

  async create(input: NewApproval): Promise<Approval> {
    checkNewApproval(input);
    return this.mutate((records, now) => {
      const kept = this.prune(records, now);
      const taken = new Set(kept.map((r) => r.id));
      let id = generateApprovalId();
      while (taken.has(id)) id = generateApprovalId();
      const created = buildApproval(input, id, now);
      return { next: [...kept, created], result: toApproval(created, now) };
    });
  }

  async get(id: string): Promise<Approval | undefined> {
    const found = (await this.read()).find((r) => r.id === id);
    return found === undefined ? undefined : toApproval(found, this.now());
  }

  async list(options: { all?: boolean } = {}): Promise<Approval[]> {
    const now = this.now();
    const approvals = (await this.read()).map((r) => toApproval(r, now));
    return newestFirst(options.all === true ? approvals : approvals.filter((a) => a.status === 'pending'));
  }

  async decide(id: string, decision: 'approved' | 'denied', by: string): Promise<Approval> {
    checkDecision(decision, by);
    return this.mutate((records, now) => {
      const found = records.find((r) => r.id === id);
      const current = found === undefined ? undefined : toApproval(found, now);
      if (found === undefined || current?.status !== 'pending') throw notDecidable(id, decision, current, this.location);
      const decided: StoredApproval = { ...found, status: decision, decidedBy: by, decidedAt: now };
      return { next: records.map((r) => (r === found ? decided : r)), result: toApproval(decided, now) };
    });
  }

  async consume(id: string, binding: ApprovalBinding): Promise<ConsumeResult> {
    if (!APPROVAL_ID_PATTERN.test(id)) return { ok: false, reason: 'NOT_FOUND' };
    return this.mutate((records, now): { next?: StoredApproval[]; result: ConsumeResult } => {
      const verdict = judgeConsume(records.find((r) => r.id === id), binding, now, this.log);
      if (!verdict.ok) return { result: verdict };
      const used: StoredApproval = { ...verdict.record, status: 'used', usedAt: now };
      return { next: records.map((r) => (r === verdict.record ? used : r)), result: { ok: true, approval: toApproval(used, now) } };
    });
  }

  async changesSince(instance: string, since: string): Promise<Approval[]> {
    const after = checkSince(since).getTime();
    const now = this.now();
    const changed = (await this.read()).filter((r) => {
      if (r.instance !== instance) return false;
      if (r.decidedAt !== null && r.decidedAt.getTime() > after) return true;
      const expiry = r.expiresAt.getTime();
      return (r.status === 'pending' || r.status === 'approved') && expiry > after && expiry <= now.getTime();
    });
    return newestFirst(changed.map((r) => toApproval(r, now)));
  }

  async close(): Promise<void> {
    await this.queue;
  }

  private async read(): Promise<StoredApproval[]> {
    const file = await readPrivateFile(this.path, WHAT);
    if (file === undefined) return [];
    try {
      return parseApprovalFile(file.text);
    } catch {
      throw new BastionError(
        'CONFIG_INVALID',
        `${this.path} is not a valid approvals file (it does not parse); move it away (pending approvals in it are lost and must be asked for again).`,
      );
    }
  }

  /** One read-modify-write under the lock file; in-process callers queue up first. */
  private mutate<T>(change: (records: StoredApproval[], now: Date) => { next?: StoredApproval[]; result: T }): Promise<T> {
    const run = (): Promise<T> =>
      withStateFileLock(this.lockPath, WHAT, async () => {
        const { next, result } = change(await this.read(), this.now());
        if (next !== undefined) await writePrivateFileAtomic(this.path, serializeApprovalFile(next));
        return result;
      });
    const done = this.queue.then(run, run);
    this.queue = done.catch(() => undefined);
    return done;
  }

  /**
   * Drops approvals finished (used, denied, expired) more than a day ago; over the
   * cap, the oldest finished ones go too. Live ones are never dropped: when they
   * alone fill the file, creating another is refused.
   */
  private prune(records: StoredApproval[], now: Date): StoredApproval[] {
    const cutoff = now.getTime() - KEEP_DECIDED_MS;
    const kept = records.filter((r) => (finishedAt(r, now) ?? Number.POSITIVE_INFINITY) >= cutoff);
    if (kept.length < this.maxRecords) return kept;
    const finished = kept.flatMap((r) => {
      const at = finishedAt(r, now);
      return at === undefined ? [] : [{ r, at }];
    });
    finished.sort((a, b) => a.at - b.at);
    const drop = new Set(finished.slice(0, kept.length - this.maxRecords + 1).map((f) => f.r));
    const live = kept.length - drop.size;
    if (live >= this.maxRecords) {
      throw new BastionError('RATE_LIMITED', `${live} approvals are waiting for a decision or a use; deny some or let them expire before asking for more.`);
    }
    return kept.filter((r) => !drop.has(r));
  }
}

/** When the approval stopped being usable, or undefined while it is pending or approved and unexpired. */
function finishedAt(r: StoredApproval, now: Date): number | undefined {
  if (r.status === 'used') return r.usedAt?.getTime() ?? r.expiresAt.getTime();
  if (r.status === 'denied') return r.decidedAt?.getTime() ?? r.expiresAt.getTime();
  return r.expiresAt.getTime() <= now.getTime() ? r.expiresAt.getTime() : undefined;
}

function newestFirst(approvals: Approval[]): Approval[] {
  return approvals.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

/**
 * The on-disk form: a version and a list of records. Parsed strictly, so a hand edit
 * that breaks the file stops the command instead of silently dropping approvals.
 */
const timestamp = z.iso.datetime({ offset: true });

const recordSchema = z.strictObject({
  id: z.string().regex(APPROVAL_ID_PATTERN),
  status: z.enum(['pending', 'approved', 'denied', 'used']),
  principal: z.string().min(1),
  source: z.string().min(1),
  tool: z.enum(APPROVAL_TOOLS),
  sql_sha256: z.string().regex(SHA256_HEX),
  params_sha256: z.string().regex(SHA256_HEX),
  instance: z.string().min(1),
  statement: z.string(),
  summary: z.string(),
  // Absent in files written before the bound existed.
  max_rows: z.number().int().nonnegative().nullable().optional(),
  created_at: timestamp,
  expires_at: timestamp,
  decided_by: z.string().min(1).nullable(),
  decided_at: timestamp.nullable(),
  used_at: timestamp.nullable(),
});

const fileSchema = z.strictObject({ version: z.literal(1), approvals: z.array(recordSchema) });

type FileRecord = z.infer<typeof recordSchema>;

function parseApprovalFile(text: string): StoredApproval[] {
  return fileSchema.parse(JSON.parse(text)).approvals.map(
    (r: FileRecord): StoredApproval => ({
      id: r.id,
      status: r.status,
      principal: r.principal,
      source: r.source,
      tool: r.tool,
      sqlHash: r.sql_sha256,
      paramsHash: r.params_sha256,
      instance: r.instance,
      statement: r.statement,
      summary: r.summary,
      maxRows: r.max_rows ?? null,
      createdAt: new Date(r.created_at),
      expiresAt: new Date(r.expires_at),
      decidedBy: r.decided_by,
      decidedAt: toDate(r.decided_at),
      usedAt: toDate(r.used_at),
    }),
  );
}

function serializeApprovalFile(records: readonly StoredApproval[]): string {
  const approvals = records.map(
    (r): FileRecord => ({
      id: r.id,
      status: r.status,
      principal: r.principal,
      source: r.source,
      tool: r.tool,
      sql_sha256: r.sqlHash,
      params_sha256: r.paramsHash,
      instance: r.instance,
      statement: r.statement,
      summary: r.summary,
      max_rows: r.maxRows,
      created_at: r.createdAt.toISOString(),
      expires_at: r.expiresAt.toISOString(),
      decided_by: r.decidedBy,
      decided_at: r.decidedAt?.toISOString() ?? null,
      used_at: r.usedAt?.toISOString() ?? null,
    }),
  );
  return `${JSON.stringify({ version: 1, approvals }, null, 2)}\n`;
}

function toDate(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}
