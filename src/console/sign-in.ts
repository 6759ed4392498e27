import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError } from '../auth/identity/errors.js';
import { newCorrelationId } from '../errors/correlation.js';
import type { ConsoleOptions } from './deps.js';
import { html } from './html.js';
import { banner, layout } from './layout.js';
import { readForm, redirect, sendPage } from './respond.js';
import type { ConsoleSessions } from './session.js';

const REFUSED = 'Sign-in refused: the key is unknown, expired or revoked, or its role has no console access (approver, auditor, admin, or a role with console rights).';

/** GET /console/sign-in: the form, with a token bound to this browser. */
export function signInPage(res: ServerResponse, sessions: ConsoleSessions, options: ConsoleOptions, status = 200, error?: string): void {
  const token = sessions.signInToken(res);
  const keys = options.apiKeys !== undefined;
  const sso = options.sso === undefined ? '' : html`<p class="card"><a href="/console/oidc/start">Sign in with SSO</a></p>`;
  const body = html`${banner('error', error)}${sso}
${keys ? html`<form method="post" action="/console/sign-in" class="card">
<input type="hidden" name="token" value="${token}">
<p><label>API key<br><input type="password" name="api_key" autocomplete="off" required></label></p>
<p><button type="submit">Sign in</button></p>
<p class="meta">The key is checked once and never stored in the browser: the session is a cookie of its own, valid ${Math.round(options.config.console.session_ttl_s / 60)} min.</p>
</form>` : html`<p>API keys are disabled on this server (auth.api_keys.enabled: false)${options.sso === undefined ? ': there is no way to sign in here' : ''}.</p>`}`;
  sendPage(res, status, layout('Sign in', body));
}

/**
 * POST /console/sign-in: the key checked by the listener's own verifier; a failure is
 * throttled, logged and audited like a bad Bearer token, and a success is audited too.
 * Only a role with a console right gets a session.
 */
export async function signIn(req: IncomingMessage, res: ServerResponse, sessions: ConsoleSessions, options: ConsoleOptions): Promise<void> {
  const form = await readForm(req, options.maxBodyBytes);
  if (form === undefined || !sessions.signInTokenValid(req, form.get('token') ?? undefined)) {
    signInPage(res, sessions, options, 403, 'The sign-in form expired or did not come from this console; try again.');
    return;
  }
  const address = options.clientAddress(req);
  const presented = form.get('api_key') ?? '';
  const principal = options.apiKeys === undefined ? undefined : await options.apiKeys.verifier.verify(presented.trim());
  const role = principal === undefined ? undefined : options.roles.get(principal.role);
  if (principal === undefined || role === undefined || role.console.size === 0) {
    const error = new AuthError(principal === undefined ? 'AUTH_INVALID' : 'AUTH_UNKNOWN_ROLE', principal === undefined ? 'console sign-in: no valid API key' : `console sign-in: role ${principal.role} has no console right`);
    const verdict = (await options.throttle?.consumeAuthFailure(address).catch(() => undefined)) ?? { blocked: false, alreadyBlocked: false, retryAfterMs: 0 };
    await options.onAuthFailure?.({ address, error, throttled: verdict.blocked, repeated: verdict.alreadyBlocked });
    if (verdict.blocked) res.setHeader('retry-after', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
    signInPage(res, sessions, options, verdict.blocked ? 429 : 401, verdict.blocked ? 'Too many failed sign-ins from this address; wait a minute.' : REFUSED);
    return;
  }
  const verifier = options.apiKeys?.verifier;
  const key = presented.trim();
  const session = { id: principal.id, role: principal.role, via: 'api_key' } as const;
  await options.audit.record({
    principal: { id: principal.id, kind: 'api_key', role: principal.role },
    correlation_id: newCorrelationId(),
    tool: 'console.sign_in',
    client: address,
    decision: 'allow',
    reason: 'CONSOLE_SIGN_IN',
    outcome: 'ok',
  });
  // A revoked or expired key, or one whose role changed, ends its console sessions at the next request.
  sessions.start(res, session, async () => (await verifier?.verify(key))?.role === session.role);
  redirect(res, '/console');
}
