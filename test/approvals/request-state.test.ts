/**
 * The signed `requestState` of a 2026-07-28 approval: a state verifies only for exactly
 * the call it was minted for, unchanged, under the same key, before its expiry. Replicas
 * configured with the same audit key accept each other's states; processes without one
 * never do.
 */
import { describe, expect, it } from 'vitest';
import { hashParams, hashStatement, type ApprovalBinding } from '../../src/approvals/index.js';
import { mintRequestState, requestStateKey, verifyRequestState } from '../../src/approvals/request-state.js';

const AUDIT_KEY = 'an-audit-key-of-at-least-32-characters-0123';
const ID = 'ap_AAAAAAAAAAAAAAAAAAAAAA';
const BINDING: ApprovalBinding = {
  principal: 'key:key_alice',
  source: 'main',
  tool: 'execute',
  sqlHash: hashStatement('UPDATE items SET n = n + 1 WHERE id = $1'),
  paramsHash: hashParams([1]),
};
const NOW = new Date('2026-12-07T12:00:00Z');
const LATER = new Date(NOW.getTime() + 60_000);

describe('requestState', () => {
  const key = requestStateKey({}, AUDIT_KEY);
  const state = mintRequestState(key, ID, BINDING, LATER);

  it('verifies for the call it was minted for, naming its approval', () => {
    expect(verifyRequestState(key, state, BINDING, NOW)).toEqual({ ok: true, approvalId: ID });
  });

  it('is refused for any other principal, source, tool, statement or parameters', () => {
    const others: ApprovalBinding[] = [
      { ...BINDING, principal: 'key:key_bob' },
      { ...BINDING, source: 'other' },
      { ...BINDING, tool: 'change_schema' },
      { ...BINDING, sqlHash: hashStatement('UPDATE items SET n = n + 2 WHERE id = $1') },
      { ...BINDING, paramsHash: hashParams([2]) },
    ];
    for (const other of others) expect(verifyRequestState(key, state, other, NOW)).toEqual({ ok: false, reason: 'STATE_MISMATCH' });
  });

  it('is refused when any one character is changed, or anything is added or cut', () => {
    for (let at = 0; at < state.length; at++) {
      const swap = state[at] === 'A' ? 'B' : 'A';
      const altered = state.slice(0, at) + swap + state.slice(at + 1);
      expect(verifyRequestState(key, altered, BINDING, NOW).ok, `character ${at}`).toBe(false);
    }
    for (const altered of [`${state}x`, state.slice(0, -1), state.split('.')[0], `${state}.x`, '', '.', 42, undefined, 'x'.repeat(5000)]) {
      expect(verifyRequestState(key, altered, BINDING, NOW)).toEqual({ ok: false, reason: 'STATE_INVALID' });
    }
  });

  it('another spelling of the same signature bytes (the spare bits of its last character) is refused', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = state.at(-1) ?? '';
    const respelled = state.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    const signature = (s: string): Buffer => Buffer.from(s.split('.')[1] ?? '', 'base64url');
    expect(signature(respelled).equals(signature(state))).toBe(true);
    expect(verifyRequestState(key, respelled, BINDING, NOW)).toEqual({ ok: false, reason: 'STATE_INVALID' });
  });

  it('a payload re-signed without the key (another principal written in, a bare hash as signature) is refused', () => {
    const [payload] = state.split('.') as [string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...decoded, principal: 'key:key_bob', exp: LATER.getTime() * 2 })).toString('base64url');
    expect(verifyRequestState(key, `${forged}.${state.split('.')[1]}`, { ...BINDING, principal: 'key:key_bob' }, NOW)).toEqual({ ok: false, reason: 'STATE_INVALID' });
  });

  it('is refused at and after its expiry', () => {
    expect(verifyRequestState(key, state, BINDING, LATER)).toEqual({ ok: false, reason: 'STATE_EXPIRED' });
  });

  it('replicas with the same audit key share the key; without an audit key each process has its own', () => {
    const replica = requestStateKey({}, AUDIT_KEY);
    expect(verifyRequestState(replica, state, BINDING, NOW).ok).toBe(true);
    expect(verifyRequestState(requestStateKey({}, `${AUDIT_KEY}x`), state, BINDING, NOW)).toEqual({ ok: false, reason: 'STATE_INVALID' });
    const alone = requestStateKey({}, undefined);
    const another = requestStateKey({}, undefined);
    expect(verifyRequestState(another, mintRequestState(alone, ID, BINDING, LATER), BINDING, NOW)).toEqual({ ok: false, reason: 'STATE_INVALID' });
    // The derived key is not the audit key itself.
    expect(key.equals(Buffer.from(AUDIT_KEY, 'utf8').subarray(0, 32))).toBe(false);
  });
});
