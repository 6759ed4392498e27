import { randomBytes } from 'node:crypto';

/** A short random id that ties a client-visible error to the full detail in the server log. */
export function newCorrelationId(): string {
  return randomBytes(9).toString('base64url');
}
