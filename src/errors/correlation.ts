import { randomBytes } from 'node:crypto';

/** Random bytes drawn in bulk: one call per call would cost a system call each time. */
const POOL_SIZE = 9 * 1024;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

/** A short random id that ties a client-visible answer or error to its audit record and log lines. */
export function newCorrelationId(): string {
  if (offset + 9 > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 9);
  offset += 9;
  return id;
}
