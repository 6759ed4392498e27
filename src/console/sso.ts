import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError } from '../auth/identity/errors.js';
import { newCorrelationId } from '../errors/correlation.js';
import type { ConsoleOptions, ConsoleSso } from './deps.js';
import { send } from './respond.js';
import { readCookie, type ConsoleSessions } from './session.js';
import { signInPage } from './sign-in.js';

/** A sign-in must come back from the identity provider within this long. */
const PENDING_TTL_MS = 600_000;
const MAX_PENDING = 10_000;

/** GET /console/oidc/start and /console/oidc/callback. */
export function createSsoRoutes(sso: ConsoleSso, sessions: ConsoleSessions, options: ConsoleOptions): { start: (req: IncomingMessage, res: ServerResponse) => Promise<void>; callback: (req: IncomingMessage, res: ServerResponse) => Promise<void> } {
  const pending = new Map<string, { state: unknown; expiresAt: number }>();
  const now = options.now ?? Date.now;
  const cookie = options.secure ? '__Host-bastion_console_sso' : 'bastion_console_sso';
  // Lax, not Strict: the callback is a top-level navigation from the identity provider's site.
  const setCookie = (value: string, maxAgeS: number): string =>
    `${cookie}=${value}; Path=${options.secure ? '/' : '/console/oidc'}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;

  return {
    async start(req, res) {
      req.resume();
      const now_ = now();
      for (const [key, entry] of pending) if (entry.expiresAt <= now_) pending.delete(key);
      if (pending.size >= MAX_PENDING) {
        signInPage(res, sessions, options, 503, 'Too many sign-ins are under way; try again in a few minutes.');
        return;
      }
      const { url, pending: state } = await sso.begin();
      const handle = randomBytes(32).toString('base64url');
      pending.set(digest(handle), { state, expiresAt: now_ + PENDING_TTL_MS });
      res.setHeader('set-cookie', setCookie(handle, PENDING_TTL_MS / 1000));
      res.setHeader('location', url);
      send(res, 303, 'text/plain; charset=utf-8', '');
    },

    async callback(req, res) {
      req.resume();
      const handle = readCookie(req, cookie);
      const entry = handle === undefined ? undefined : pending.get(digest(handle));
      if (handle !== undefined) pending.delete(digest(handle));
      res.setHeader('set-cookie', setCookie('', 0));
      const address = options.clientAddress(req);
      let signedIn: { subject: string; role: string } | undefined;
      if (entry !== undefined && entry.expiresAt > now()) {
        const base = `${options.secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
        signedIn = await sso.finish(new URL(req.url ?? '/', base).toString(), entry.state).catch(() => undefined);
      }
      const role = signedIn === undefined ? undefined : options.roles.get(signedIn.role);
      if (signedIn === undefined || role === undefined || role.console.size === 0) {
        const error = new AuthError(signedIn === undefined ? 'AUTH_INVALID' : 'AUTH_UNKNOWN_ROLE', 'console single sign-on refused');
        await options.onAuthFailure?.({ address, error, throttled: false, repeated: false });
        signInPage(res, sessions, options, 401, 'Single sign-on failed or your role has no console access; sign in again.');
        return;
      }
      const principal = { id: `oidc:${signedIn.subject}`, role: signedIn.role, via: 'oidc' } as const;
      await options.audit.record({
        principal: { id: principal.id, kind: 'human', role: principal.role },
        correlation_id: newCorrelationId(),
        tool: 'console.sign_in',
        client: address,
        decision: 'allow',
        reason: 'CONSOLE_SIGN_IN',
        outcome: 'ok',
      });
      sessions.start(res, principal);
      res.setHeader('location', '/console');
      send(res, 303, 'text/plain; charset=utf-8', '');
    },
  };
}

function digest(handle: string): string {
  return createHash('sha256').update(handle).digest('hex');
}
