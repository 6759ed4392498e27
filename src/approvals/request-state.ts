import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { hashesEqual } from '../util/constant-time.js';
import { APPROVAL_ID_PATTERN, APPROVAL_TOOLS, SHA256_HEX, type ApprovalBinding } from './store.js';

/**
 * The `requestState` of a write's approval asked as an MCP 2026-07-28 `input_required`
 * result: the pending approval's id and what it is bound to, with an expiry, signed with
 * HMAC-SHA-256. It travels through the client, so on the retry it is attacker-controlled
 * input: the signature is checked before anything in it is read, then the expiry, then
 * the binding against the retried call itself (the principal from its credential). The
 * approval it names is single use in the store, so a valid state runs its change once.
 *
 * Wire form: base64url(JSON payload) '.' base64url(HMAC-SHA-256(key, label + payload)).
 */
const LABEL = 'bastion-request-state.v1.';
/** A state longer than this is refused unread: ours are a few hundred characters. */
const MAX_STATE_CHARS = 2048;

const payloadSchema = z
  .object({
    v: z.literal(1),
    approval_id: z.string().regex(APPROVAL_ID_PATTERN),
    principal: z.string().min(1).max(1024),
    source: z.string().min(1).max(1024),
    tool: z.enum(APPROVAL_TOOLS),
    sql_sha256: z.string().regex(SHA256_HEX),
    params_sha256: z.string().regex(SHA256_HEX),
    /** Milliseconds since the epoch. */
    exp: z.number().int().positive(),
  })
  .strict();

export type RequestStatePayload = z.infer<typeof payloadSchema>;

/** Why a presented state was refused: for the audit record and the server log, never more detail to the caller. */
export type StateRefusal = 'STATE_INVALID' | 'STATE_EXPIRED' | 'STATE_MISMATCH';

export type StateVerdict = { ok: true; approvalId: string } | { ok: false; reason: StateRefusal };

/**
 * The signing key: derived with HKDF-SHA-256 from `audit.key` when one is configured (the
 * same on every replica, so a retry may reach any of them), else random per process (a
 * retry that reaches another process is refused, and the approval stays pending for the CLI).
 */
const keys = new WeakMap<object, Buffer>();

export function requestStateKey(owner: object, auditKey: string | undefined): Buffer {
  let key = keys.get(owner);
  if (key === undefined) {
    key =
      auditKey === undefined
        ? randomBytes(32)
        : Buffer.from(hkdfSync('sha256', Buffer.from(auditKey, 'utf8'), Buffer.alloc(0), 'bastion requestState v1', 32));
    keys.set(owner, key);
  }
  return key;
}

function sign(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(LABEL + payload, 'utf8').digest();
}

/** A signed state for the pending approval `approvalId`, bound to `binding`, valid until `expiresAt`. */
export function mintRequestState(key: Buffer, approvalId: string, binding: ApprovalBinding, expiresAt: Date): string {
  const payload: RequestStatePayload = {
    v: 1,
    approval_id: approvalId,
    principal: binding.principal,
    source: binding.source,
    tool: binding.tool,
    sql_sha256: binding.sqlHash,
    params_sha256: binding.paramsHash,
    exp: expiresAt.getTime(),
  };
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${encoded}.${sign(key, encoded).toString('base64url')}`;
}

/**
 * Checks a presented state for the call `binding` describes: the signature first (in
 * constant time, before the payload is decoded), then the payload's form, the expiry,
 * and every bound field against this call.
 */
export function verifyRequestState(key: Buffer, state: unknown, binding: ApprovalBinding, now: Date): StateVerdict {
  if (typeof state !== 'string' || state.length > MAX_STATE_CHARS) return { ok: false, reason: 'STATE_INVALID' };
  const dot = state.indexOf('.');
  if (dot <= 0 || dot !== state.lastIndexOf('.')) return { ok: false, reason: 'STATE_INVALID' };
  const encoded = state.slice(0, dot);
  // Compared as text: base64url decoding ignores a last character's spare bits, so
  // comparing decoded bytes would accept more than one spelling of the signature.
  const presented = Buffer.from(state.slice(dot + 1), 'utf8');
  const expected = Buffer.from(sign(key, encoded).toString('base64url'), 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, reason: 'STATE_INVALID' };

  let payload: RequestStatePayload;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')));
    if (!parsed.success) return { ok: false, reason: 'STATE_INVALID' };
    payload = parsed.data;
  } catch {
    return { ok: false, reason: 'STATE_INVALID' };
  }
  if (now.getTime() >= payload.exp) return { ok: false, reason: 'STATE_EXPIRED' };
  const matches =
    payload.principal === binding.principal &&
    payload.source === binding.source &&
    payload.tool === binding.tool &&
    hashesEqual(payload.sql_sha256, binding.sqlHash) &&
    hashesEqual(payload.params_sha256, binding.paramsHash);
  return matches ? { ok: true, approvalId: payload.approval_id } : { ok: false, reason: 'STATE_MISMATCH' };
}
