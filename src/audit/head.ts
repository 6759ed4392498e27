import { constants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readStateFile } from '../util/private-file.js';
import { canonicalJson } from '../util/canonical-json.js';
import { digest, type AuditKey } from './chain.js';

/**
 * The signed head checkpoint: the seq and hash of the last durable record. The log
 * can only grow past it, so a log that ends before it has lost its tail.
 */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
  readonly time: string;
  /** HMAC-SHA-256 (with a key) or SHA-256 of the other fields. */
  readonly mac: string;
}

export const HEAD_FILE = 'audit.head';

/**
 * Which head: a chain's (`audit.head`) or another hash chain's, such as the chain index.
 * The label is signed with the fields, so one kind of head never passes for another.
 */
export interface HeadKind {
  readonly file: string;
  readonly label: string;
}

export const CHAIN_HEAD: HeadKind = { file: HEAD_FILE, label: 'bastion-audit-head' };

export function signHead(fields: { seq: number; hash: string; time: string }, key?: AuditKey, kind: HeadKind = CHAIN_HEAD): AuditHead {
  const body = { seq: fields.seq, hash: fields.hash, time: fields.time };
  return { ...body, mac: digest(`${kind.label}\n${canonicalJson(body)}`, key) };
}

/** Temp file, fsync, rename: a reader sees the old head or the new one, never half of one. */
export async function writeHead(dir: string, head: AuditHead, kind: HeadKind = CHAIN_HEAD): Promise<void> {
  const path = join(dir, kind.file);
  const temp = `${path}.${process.pid}.tmp`;
  // O_NOFOLLOW: a symlink left at the temp name is refused, not written through.
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    await handle.writeFile(`${canonicalJson(head)}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

export type HeadReadResult =
  | { readonly state: 'missing' }
  | { readonly state: 'invalid'; readonly detail: string }
  | { readonly state: 'valid'; readonly head: AuditHead };

export async function readHead(dir: string, key?: AuditKey, kind: HeadKind = CHAIN_HEAD): Promise<HeadReadResult> {
  // A checkpoint is one short JSON line; a FIFO, symlink, huge or foreign file in its place is refused.
  const file = await readStateFile(join(dir, kind.file), 'the audit head checkpoint', { forbiddenMode: 0o022, maxBytes: 4096 });
  if (file === undefined) return { state: 'missing' };
  const text = file.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { state: 'invalid', detail: 'the head checkpoint is not JSON' };
  }
  const h = parsed as Partial<Record<keyof AuditHead, unknown>>;
  if (typeof h.seq !== 'number' || typeof h.hash !== 'string' || typeof h.time !== 'string' || typeof h.mac !== 'string') {
    return { state: 'invalid', detail: 'the head checkpoint lacks seq, hash, time or mac' };
  }
  const expected = signHead({ seq: h.seq, hash: h.hash, time: h.time }, key, kind);
  if (expected.mac !== h.mac) {
    return { state: 'invalid', detail: 'the head checkpoint signature does not match (edited, or a different key)' };
  }
  return { state: 'valid', head: expected };
}
