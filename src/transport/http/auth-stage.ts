import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticate } from '../../auth/authenticate.js';
import { AuthError } from '../../auth/identity/errors.js';
import type { Principal } from '../../auth/identity/principal.js';
import { BastionError } from '../../errors/codes.js';
import { sendAuthFailure, type AuthChallenge } from './auth-response.js';
import type { ClientAddressOf } from './client-address.js';
import { sendJson } from './send-json.js';

/** The failed-authentication counter of the rate limiter, per client address. */
export interface AuthFailureThrottle {
  consumeAuthFailure(address: string): Promise<{ blocked: boolean; alreadyBlocked: boolean; retryAfterMs: number }>;
}

/**
 * One failed authentication, of any kind: no credential, another scheme, a malformed,
 * unknown, expired or revoked token, a certificate without a mapped CN. `throttled`: the
 * address is past its allowance (answered 429); `repeated`: it already was before this
 * failure. Within the allowance a failure is worth a log line and an audit record; past
 * it, only the failure that starts the block is worth one warning, so a flood from one
 * address cannot flood the log or the audit.
 */
export interface AuthFailure {
  readonly address: string;
  readonly error: AuthError;
  readonly throttled: boolean;
  readonly repeated: boolean;
}

export interface AuthStageOptions {
  authenticate: Authenticate;
  clientAddress: ClientAddressOf;
  throttle?: AuthFailureThrottle | undefined;
  /** Awaited before the refusal is sent. */
  onAuthFailure?: ((failure: AuthFailure) => void | Promise<void>) | undefined;
  /** The Bearer challenge, known once the server listens. */
  challenge: () => AuthChallenge | undefined;
}

/** A principal, or undefined when the stage already answered the request. */
export type AuthStage = (req: IncomingMessage, res: ServerResponse) => Promise<Principal | undefined>;

/** The 429 body of a throttled failure: what happened, that valid credentials still work, and which setting raises the limit. */
const THROTTLED_MESSAGE =
  'too many failed authentication attempts from this address; retry after the Retry-After delay (a valid credential is accepted meanwhile). ' +
  'The limit is rate_limits.auth_failures_per_minute in the server configuration.';

const NOT_COUNTED = { blocked: false, alreadyBlocked: false, retryAfterMs: 0 };

/**
 * The authenticate stage of the HTTP pipeline. Every credential is checked, whatever
 * failed before from the same address, and a valid one is always served: behind a proxy
 * or a shared NAT, one client's failures must not lock out the others. Only failures
 * are counted, per client address, every kind of failure through this one path (a
 * request without any credential is as cheap to send as a bad one, and is logged and
 * audited the same way); past `auth_failures_per_minute` they get 429 with Retry-After
 * instead of 401, except a request with no credential at all, which keeps its challenge. That answer gives a guesser nothing new (a right guess is served
 * either way), and against 256-bit API keys and signed tokens guessing is hopeless
 * anyway: the throttle is there to cut the load and the noise of a flood.
 */
export function createAuthStage(options: AuthStageOptions): AuthStage {
  const { throttle } = options;

  async function refuse(req: IncomingMessage, res: ServerResponse, error: AuthError): Promise<void> {
    const address = options.clientAddress(req);
    // A request without a credential is how a client finds out where to sign in: it always
    // gets the 401 Bearer challenge, throttled or not, or one flood from a shared address
    // would stop every new client behind it from signing in. It is still counted, so past
    // the allowance it fills neither the log nor the audit.
    const challengeOnly = error.code === 'AUTH_MISSING';
    // The limiter counts failures in this process while its shared store is down. Should it
    // still fail, the failure is answered and audited as one within the allowance: a refusal
    // is never left unrecorded, and a valid credential never depends on the store.
    const verdict = throttle === undefined ? NOT_COUNTED : ((await limiterAnswer(() => throttle.consumeAuthFailure(address))) ?? NOT_COUNTED);
    await options.onAuthFailure?.({ address, error, throttled: verdict.blocked, repeated: verdict.alreadyBlocked });
    if (verdict.blocked && !challengeOnly) {
      res.setHeader('retry-after', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
      sendJson(res, 429, { error: THROTTLED_MESSAGE });
      return;
    }
    sendAuthFailure(res, error, options.challenge());
  }

  return async (req, res) => {
    try {
      return await options.authenticate(req);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      req.resume();
      await refuse(req, res, error);
      return undefined;
    }
  };
}

/** A throttle answer, or undefined when its store is down and the limiter fails closed. */
async function limiterAnswer<T>(ask: () => Promise<T>): Promise<T | undefined> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof BastionError && error.code === 'LIMITER_UNAVAILABLE') return undefined;
    throw error;
  }
}
