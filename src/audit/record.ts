import type { PrincipalKind } from '../auth/identity/principal.js';

/**
 * `unauthenticated` is for a failed authentication (no principal was established);
 * `system` is for records Bastion writes about the log itself, such as a repaired gap;
 * `human` is a person deciding an approval with `bastion approvals`.
 */
export type AuditPrincipalKind = PrincipalKind | 'unauthenticated' | 'system' | 'human';

export interface AuditPrincipal {
  readonly id: string;
  readonly kind: AuditPrincipalKind;
  readonly role: string;
}

/** `none` only on system records (a gap), which decide nothing. */
export type AuditDecision = 'allow' | 'deny' | 'none';

/** `pending`: a write waits for a person's approval; `decided`: a person approved or denied one, or it expired. */
export type AuditOutcome = 'ok' | 'error' | 'denied' | 'rate_limited' | 'auth_failed' | 'gap' | 'pending' | 'decided';

/**
 * How a real write was approved, or what happened to an approval. `none`: the role
 * runs this source's writes without approval (trusted automation), said on every call.
 */
export interface AuditApproval {
  readonly state: 'none' | 'requested' | 'elicited' | 'declined' | 'approved' | 'denied' | 'expired' | 'used' | 'refused';
  readonly id?: string;
  /** Who decided (a person's user@host), for decisions. */
  readonly by?: string;
  /** Why an approval was not accepted (PENDING, EXPIRED, USED, MISMATCH…). */
  readonly reason?: string;
  /**
   * Decisions: SHA-256 (hex) of the statement as the person was shown it (redacted), so the
   * record names what was decided without the text, and never confirms a redacted value.
   */
  readonly statement_sha256?: string;
  /** Decisions: the principal the approval was asked for (the assistant's). */
  readonly for?: string;
  /** Decisions: the decider approved its own request, which its role allows (`approval.allow_self`). */
  readonly self?: boolean;
  /** Decisions: the reason the person gave, redacted (the console's optional field). */
  readonly comment?: string;
}

/** What a caller reports about one event; the sink adds the chain fields. */
export interface AuditEvent {
  readonly principal: AuditPrincipal;
  readonly session?: string;
  readonly correlation_id: string;
  /** The W3C trace id of the call's span, when telemetry traced the call. */
  readonly trace_id?: string | undefined;
  readonly tool?: string;
  readonly source?: string;
  /** Fingerprint of the normalized statement, never the statement itself. */
  readonly fingerprint?: string;
  /** Built with `argsShape`: types and lengths, never values. */
  readonly args_shape?: unknown;
  /** The argument values, redacted; only with `audit.include_values: true`. */
  readonly args?: unknown;
  /** The network address of a client that failed authentication, or signed in to the console. */
  readonly client?: string;
  /** A console action: what it acted on (an API key id). */
  readonly subject?: string;
  readonly decision: AuditDecision;
  /** An error code (`RATE_LIMITED`, `SQL_NOT_READ_ONLY`, …) or a gap's cause. */
  readonly reason?: string;
  readonly rows?: number;
  readonly bytes?: number;
  /** Writes: a dry run (nothing changed) or a real run. */
  readonly dry_run?: boolean;
  /** Writes: rows the statement affected (or would affect, in a dry run). */
  readonly affected?: number;
  readonly approval?: AuditApproval;
  readonly duration_ms?: number;
  readonly outcome: AuditOutcome;
}

/** One line of `audit.jsonl`. */
export interface AuditRecord extends AuditEvent {
  readonly seq: number;
  /** ISO 8601, UTC, when `append` was called. */
  readonly time: string;
  /** The server instance that wrote the record. */
  readonly instance: string;
  /** Hex hash of the previous record (the genesis value for the first). */
  readonly prev: string;
  /** Hex hash of `prev` and this record without `hash`. */
  readonly hash: string;
}

const MAX_DEPTH = 8;
const MAX_KEYS = 64;

/**
 * The shape of tool arguments with every value replaced by its type (and a string's
 * or array's length), so the audit shows what was sent without what it said.
 * Object keys are kept (they are argument names); past MAX_DEPTH or MAX_KEYS the
 * rest is summarized, so a hostile argument cannot blow up a record.
 */
export function argsShape(args: unknown, depth = 0): unknown {
  if (args === null) return 'null';
  if (typeof args === 'string') return `string(${args.length})`;
  if (typeof args !== 'object') return typeof args;
  if (depth >= MAX_DEPTH) return Array.isArray(args) ? `array(${args.length})` : 'object';
  if (Array.isArray(args)) {
    return { array: args.length, items: args.slice(0, MAX_KEYS).map((item) => argsShape(item, depth + 1)) };
  }
  const keys = Object.keys(args);
  // An ordinary object (a null-prototype one is a slow dictionary): see setShapeKey for __proto__.
  const out: Record<string, unknown> = {};
  const count = Math.min(keys.length, MAX_KEYS);
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string;
    setShapeKey(out, truncateKey(key), argsShape((args as Record<string, unknown>)[key], depth + 1));
  }
  if (keys.length > MAX_KEYS) out['…'] = `${keys.length - MAX_KEYS} more keys`;
  return out;
}

/** Assignment to `__proto__` would set the prototype; an argument of that name stays an own key. */
function setShapeKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

function truncateKey(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}
