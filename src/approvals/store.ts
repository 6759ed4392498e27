import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';
import { hashesEqual } from '../util/constant-time.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';

/**
 * Approvals of governed writes: what one is bound to, the interface both back-ends
 * (a file under state.dir, a PostgreSQL table) implement, and the rules they share.
 * A person decides with `bastion approvals approve|deny`; the server consumes an
 * approved one exactly once, for exactly the call that was shown.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used' | 'expired';

/** What a store keeps; `expired` is never stored, it is read off the clock. */
export type StoredStatus = Exclude<ApprovalStatus, 'expired'>;

export const APPROVAL_TOOLS = ['execute', 'change_schema'] as const;
export type ApprovalTool = (typeof APPROVAL_TOOLS)[number];

/** What the approval is bound to: a real run must present exactly this. */
export interface ApprovalBinding {
  /** Principal id. */
  readonly principal: string;
  readonly source: string;
  readonly tool: ApprovalTool;
  /** SHA-256 (hex) of the exact statement text: `hashStatement`. */
  readonly sqlHash: string;
  /** SHA-256 (hex) of the canonical JSON of the params: `hashParams`. */
  readonly paramsHash: string;
}

export interface Approval extends ApprovalBinding {
  /** `ap_` + 128 random bits in base64url. */
  readonly id: string;
  /** `expired` when pending or approved and past `expiresAt`. */
  readonly status: ApprovalStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The server instance that created it. */
  readonly instance: string;
  /** The statement as shown to the person (redacted by the caller). */
  readonly statement: string;
  /** The dry-run result as shown to the person (redacted by the caller). */
  readonly summary: string;
  /**
   * The rows the dry run the person saw affected (DML): the approved run may change no
   * more, or it is rolled back. Null for a schema change, or an approval made before
   * this bound existed (then only the source's max_affected_rows applies).
   */
  readonly maxRows: number | null;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly usedAt?: string;
}

export interface NewApproval extends ApprovalBinding {
  readonly statement: string;
  readonly summary: string;
  /** The dry run's affected rows for DML (see Approval.maxRows); omitted: no bound beyond the source's cap. */
  readonly maxRows?: number | null;
  readonly ttlMs: number;
  readonly instance: string;
}

/** An approval as a store keeps it: the stored status, times as dates, absent values as null. */
export interface StoredApproval extends ApprovalBinding {
  readonly id: string;
  readonly status: StoredStatus;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly instance: string;
  readonly statement: string;
  readonly summary: string;
  readonly maxRows: number | null;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly usedAt: Date | null;
}

export type ConsumeRefusal = 'NOT_FOUND' | 'PENDING' | 'DENIED' | 'EXPIRED' | 'USED' | 'MISMATCH';
export type ConsumeResult = { ok: true; approval: Approval } | { ok: false; reason: ConsumeRefusal };

export interface ApprovalStore {
  /** Where approvals live, for messages: a file path or the PostgreSQL table. */
  readonly location: string;
  /** A new pending approval. Caller mistakes (a malformed hash, a ttl out of range) throw TypeError. */
  create(input: NewApproval): Promise<Approval>;
  get(id: string): Promise<Approval | undefined>;
  /** Newest first; pending (and unexpired) only unless `all`. */
  list(options?: { all?: boolean }): Promise<Approval[]>;
  /** Decides a pending, unexpired approval; anything else throws a BastionError saying why. */
  decide(id: string, decision: 'approved' | 'denied', by: string): Promise<Approval>;
  /**
   * Uses an approved, unexpired approval whose binding equals `binding`, atomically:
   * of any number of racing calls (replicas included) exactly one gets `ok`. A binding
   * that differs answers MISMATCH without saying which field differed (the store logs
   * that) and does not use the approval up: otherwise whoever holds an id could burn
   * the approval of the call a person actually approved. The binding is checked before
   * the status, so a call for another statement learns nothing about the approval.
   */
  consume(id: string, binding: ApprovalBinding): Promise<ConsumeResult>;
  /**
   * Approvals created by `instance` that were decided after `since` (ISO time) or
   * expired after it (and by now), so the server can audit decisions made by the CLI.
   * An approval may show up in two polls (say decided, then expired); dedupe by id and
   * status, and pass a `since` a little before the last poll to allow for clock skew.
   */
  changesSince(instance: string, since: string): Promise<Approval[]>;
  close(): Promise<void>;
}

export interface ApprovalStoreOptions {
  /** Receives the detail of refused consumes (which binding field differed). */
  readonly log?: Logger | undefined;
  /** Clock for creation and expiry; tests move it instead of sleeping. */
  readonly now?: (() => Date) | undefined;
}

export const APPROVAL_ID_PATTERN = /^ap_[A-Za-z0-9_-]{22}$/;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The longest statement or summary a store keeps: the size of a whole request. */
export const MAX_APPROVAL_TEXT = 1024 * 1024;
/** approval_ttl_s is at most 7 days. */
export const MAX_APPROVAL_TTL_MS = 7 * 86_400_000;
/** Used, denied and expired approvals are kept this long for `list --all` and audits. */
export const KEEP_DECIDED_MS = 86_400_000;

export function hashStatement(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Sorted keys at every level, so equal params hash equally whatever the key order. */
export function hashParams(params: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(params), 'utf8').digest('hex');
}

export function generateApprovalId(): string {
  return 'ap_' + randomBytes(16).toString('base64url');
}

/** Throws TypeError for a caller mistake; the text fields are the caller's to redact. */
export function checkNewApproval(input: NewApproval): void {
  checkBinding(input);
  if (typeof input.instance !== 'string' || input.instance.length === 0 || input.instance.length > 256) {
    throw new TypeError('instance: 1 to 256 characters');
  }
  for (const field of ['statement', 'summary'] as const) {
    if (typeof input[field] !== 'string' || input[field].length > MAX_APPROVAL_TEXT) {
      throw new TypeError(`${field}: a string of at most ${MAX_APPROVAL_TEXT} characters`);
    }
  }
  if (!Number.isSafeInteger(input.ttlMs) || input.ttlMs <= 0 || input.ttlMs > MAX_APPROVAL_TTL_MS) {
    throw new TypeError(`ttlMs: a whole number of milliseconds from 1 to ${MAX_APPROVAL_TTL_MS}`);
  }
}

function checkBinding(binding: ApprovalBinding): void {
  for (const field of ['principal', 'source'] as const) {
    if (typeof binding[field] !== 'string' || binding[field].length === 0 || binding[field].length > 1024) {
      throw new TypeError(`${field}: 1 to 1024 characters`);
    }
  }
  if (!APPROVAL_TOOLS.includes(binding.tool)) throw new TypeError(`tool: one of ${APPROVAL_TOOLS.join(', ')}`);
  if (!SHA256_HEX.test(binding.sqlHash)) throw new TypeError('sqlHash: a SHA-256 digest in lower-case hex');
  if (!SHA256_HEX.test(binding.paramsHash)) throw new TypeError('paramsHash: a SHA-256 digest in lower-case hex');
}

/** The fields of `presented` that differ from `approved`; every field is compared, the digests in constant time. */
export function bindingMismatches(approved: ApprovalBinding, presented: ApprovalBinding): (keyof ApprovalBinding)[] {
  const equal: Record<keyof ApprovalBinding, boolean> = {
    principal: approved.principal === presented.principal,
    source: approved.source === presented.source,
    tool: approved.tool === presented.tool,
    sqlHash: hashesEqual(approved.sqlHash, presented.sqlHash),
    paramsHash: hashesEqual(approved.paramsHash, presented.paramsHash),
  };
  return (Object.keys(equal) as (keyof ApprovalBinding)[]).filter((field) => !equal[field]);
}

export function buildApproval(input: NewApproval, id: string, now: Date): StoredApproval {
  return {
    id,
    status: 'pending',
    principal: input.principal,
    source: input.source,
    tool: input.tool,
    sqlHash: input.sqlHash,
    paramsHash: input.paramsHash,
    createdAt: now,
    expiresAt: new Date(now.getTime() + input.ttlMs),
    instance: input.instance,
    statement: input.statement,
    summary: input.summary,
    maxRows: input.maxRows ?? null,
    decidedBy: null,
    decidedAt: null,
    usedAt: null,
  };
}

/** The public form, with the status as of `now`. */
export function toApproval(r: StoredApproval, now: Date): Approval {
  return {
    id: r.id,
    status: effectiveStatus(r.status, r.expiresAt, now),
    principal: r.principal,
    source: r.source,
    tool: r.tool,
    sqlHash: r.sqlHash,
    paramsHash: r.paramsHash,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    instance: r.instance,
    statement: r.statement,
    summary: r.summary,
    maxRows: r.maxRows,
    ...(r.decidedBy === null ? {} : { decidedBy: r.decidedBy }),
    ...(r.decidedAt === null ? {} : { decidedAt: r.decidedAt.toISOString() }),
    ...(r.usedAt === null ? {} : { usedAt: r.usedAt.toISOString() }),
  };
}

/**
 * The verdict on using `record` for `binding` at `now`: the binding first (a call
 * for another statement learns nothing about the approval), then the status.
 */
export function judgeConsume(
  record: StoredApproval | undefined,
  binding: ApprovalBinding,
  now: Date,
  log: Logger | undefined,
): { ok: true; record: StoredApproval } | { ok: false; reason: ConsumeRefusal } {
  if (record === undefined) return { ok: false, reason: 'NOT_FOUND' };
  const mismatched = bindingMismatches(record, binding);
  if (mismatched.length > 0) {
    logMismatch(log, record.id, mismatched);
    return { ok: false, reason: 'MISMATCH' };
  }
  const reason = CONSUME_REFUSAL[effectiveStatus(record.status, record.expiresAt, now)];
  return reason === undefined ? { ok: true, record } : { ok: false, reason };
}

export function effectiveStatus(stored: StoredStatus, expiresAt: Date, now: Date): ApprovalStatus {
  const live = stored === 'pending' || stored === 'approved';
  return live && now.getTime() >= expiresAt.getTime() ? 'expired' : stored;
}

/** Why `consume` refuses an approval that exists and matches the binding; undefined when it may be used. */
const CONSUME_REFUSAL: Record<ApprovalStatus, ConsumeRefusal | undefined> = {
  approved: undefined,
  pending: 'PENDING',
  denied: 'DENIED',
  used: 'USED',
  expired: 'EXPIRED',
};

/** Logs a refused consume with the fields that differed: for the server log, never the caller. */
function logMismatch(log: Logger | undefined, id: string, fields: readonly string[]): void {
  log?.warn({ approvalId: id, mismatched: fields }, 'approval presented for a different call; refused, and the approval stays as it was');
}

export function checkDecision(decision: string, by: string): void {
  if (decision !== 'approved' && decision !== 'denied') throw new TypeError('decision: approved or denied');
  if (typeof by !== 'string' || by.length === 0 || by.length > 256) throw new TypeError('by: 1 to 256 characters');
}

export function checkSince(since: string): Date {
  const time = typeof since === 'string' ? new Date(since) : new Date(NaN);
  if (Number.isNaN(time.getTime())) throw new TypeError('since: an ISO 8601 time');
  return time;
}

/** The error `decide` throws for an approval that is not pending (or not there), in words for the person at the CLI. */
export function notDecidable(id: string, decision: 'approved' | 'denied', current: Approval | undefined, location: string): BastionError {
  if (current === undefined) return approvalNotFound(id, location);
  const by = current.decidedBy === undefined ? '' : ` by ${quote(current.decidedBy)}`;
  switch (current.status) {
    case 'approved':
      return refusal(`Approval ${id} was already approved${by} at ${current.decidedAt}; a decision cannot be changed.`);
    case 'denied':
      return decision === 'denied'
        ? refusal(`Approval ${id} was already denied${by} at ${current.decidedAt}.`)
        : refusal(`Approval ${id} was denied${by} at ${current.decidedAt}; a denied approval can never be approved.`);
    case 'used':
      return refusal(`Approval ${id} was already used at ${current.usedAt}.`);
    case 'expired':
      return refusal(`Approval ${id} expired at ${current.expiresAt}; the assistant must ask again.`);
    case 'pending':
      return refusal(`Approval ${id} changed while it was being decided; run the command again.`);
  }
}

export function approvalNotFound(id: string, location: string): BastionError {
  return new BastionError('INVALID_ARGUMENT', `No approval has the id ${quote(id)} in ${location}.`);
}

function refusal(message: string): BastionError {
  return new BastionError('INVALID_ARGUMENT', message);
}

/** Text as typed (an id, a name), cut short and quoted, with anything invisible or controlling shown as ?. */
function quote(text: string): string {
  return JSON.stringify((text.length > 64 ? `${text.slice(0, 64)}…` : text).replace(/[\p{C}\p{Zl}\p{Zp}]/gu, '?'));
}
