import { errors } from 'jose';
import { AuthError } from '../identity/errors.js';

/**
 * Maps whatever verification threw to an AuthError. Only an expired token gets its
 * own code; every other failure is AUTH_INVALID, so a client learns nothing about
 * which check failed. The detail (for the log) is jose's code, never the token.
 */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError('AUTH_EXPIRED', `${error.code} (${error.claim})`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthError('AUTH_INVALID', `${error.code} (${error.claim}: ${error.reason})`);
  }
  if (error instanceof errors.JOSEError) return new AuthError('AUTH_INVALID', error.code);
  // jose throws TypeError for inputs it cannot even interpret; fail closed either way.
  return new AuthError('AUTH_INVALID', `verification failed (${error instanceof Error ? error.name : typeof error})`);
}
