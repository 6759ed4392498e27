import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleRight } from '../authorize/roles.js';
import { newCorrelationId } from '../errors/correlation.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { approvalsPage, decide } from './approvals-page.js';
import { auditExport, auditPage } from './audit-page.js';
import { auditPrincipal, type ConsoleOptions, type Signed } from './deps.js';
import { html } from './html.js';
import { createKey, keysPage, revokeKey, sourcesPage } from './keys-page.js';
import { layout, PAGES } from './layout.js';
import { readForm, redirect, send, sendPage } from './respond.js';
import { ConsoleSessions } from './session.js';
import { signIn, signInPage } from './sign-in.js';
import { createSsoRoutes } from './sso.js';

export type { ConsoleOptions, ConsoleSso, SourceState } from './deps.js';
export type { ConsolePrincipal } from './session.js';


/** What answers the requests under /console. */
export interface Console {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Where every sign-in (API key here, OIDC later) starts its session. */
  readonly sessions: ConsoleSessions;
}

type Handler = (signed: Signed) => Promise<void>;

/** The pages behind sign-in: method and path → the right it needs and its handler. Anything else is 404. */
const SIGNED_ROUTES: ReadonlyMap<string, { right: ConsoleRight | 'any'; handler: Handler }> = new Map([
  ['GET /console/approvals', { right: 'approve', handler: (s: Signed) => approvalsPage(s) }],
  ['POST /console/approvals/decide', { right: 'approve', handler: decide }],
  ['GET /console/audit', { right: 'audit', handler: auditPage }],
  ['GET /console/audit/export', { right: 'audit', handler: auditExport }],
  ['GET /console/keys', { right: 'keys', handler: (s: Signed) => keysPage(s) }],
  ['POST /console/keys/create', { right: 'keys', handler: createKey }],
  ['POST /console/keys/revoke', { right: 'keys', handler: revokeKey }],
  ['GET /console/sources', { right: 'keys', handler: sourcesPage }],
  ['POST /console/sign-out', { right: 'any', handler: signOut }],
]);

const NO_RIGHTS: ReadonlySet<ConsoleRight> = new Set();

/**
 * The console: server-rendered pages and form posts, on the HTTP listener behind its
 * Host/Origin guard, TLS and limits. Without a session a page redirects to the sign-in
 * form and a post is refused, both revealing nothing; with one, a page needs its right
 * (approve, audit, keys) and every post the session's CSRF token. Nothing here edits
 * configuration: roles, sources and modes stay in bastion.yaml.
 */
export function createConsole(options: ConsoleOptions): Console {
  const sessions = new ConsoleSessions({ ttlMs: options.config.console.session_ttl_s * 1000, secure: options.secure, now: options.now });
  const sso = options.sso === undefined ? undefined : createSsoRoutes(options.sso, sessions, options);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && path === '/console/static/console.js') return drained(req, () => send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS));
    if (method === 'GET' && path === '/console/static/console.css') return drained(req, () => send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS));
    if (path === '/console/sign-in') {
      if (method === 'POST') return signIn(req, res, sessions, options);
      return drained(req, () => (method === 'GET' ? signInPage(res, sessions, options) : notFound(res)));
    }
    if (sso !== undefined && method === 'GET' && path === '/console/oidc/start') return sso.start(req, res);
    if (sso !== undefined && method === 'GET' && path === '/console/oidc/callback') return sso.callback(req, res);
    const session = await sessions.get(req);
    const rights = session === undefined ? NO_RIGHTS : (options.roles.get(session.principal.role)?.console ?? NO_RIGHTS);
    if (method === 'GET' && (path === '/console' || path === '/console/')) {
      const first = PAGES.find((page) => rights.has(page.right));
      return drained(req, () => redirect(res, first === undefined ? '/console/sign-in' : first.path));
    }
    const route = SIGNED_ROUTES.get(`${method} ${path}`);
    if (route === undefined) return drained(req, () => notFound(res));
    if (session === undefined || rights.size === 0) {
      return drained(req, () => (method === 'GET' ? redirect(res, '/console/sign-in') : refuse(res, 401, 'Sign in first. Nothing was changed.')));
    }
    if (route.right !== 'any' && !rights.has(route.right)) return drained(req, () => refuse(res, 403, 'Your role cannot open this page.'));
    let form: URLSearchParams | undefined;
    if (method === 'POST') {
      form = await readForm(req, options.maxBodyBytes);
      if (form === undefined || !sessions.csrfValid(session, form.get('csrf') ?? undefined)) {
        refuse(res, 403, 'Refused: the form did not come from this console page (its CSRF token is missing or wrong). Nothing was changed.');
        return;
      }
    } else {
      req.resume();
    }
    await route.handler({ req, res, session, rights, url, options, sessions, form });
  };
  return { handle, sessions };
}

async function signOut(signed: Signed): Promise<void> {
  await signed.options.audit.record({
    principal: auditPrincipal(signed.session),
    correlation_id: newCorrelationId(),
    tool: 'console.sign_out',
    decision: 'allow',
    reason: 'CONSOLE_SIGN_OUT',
    outcome: 'ok',
  });
  signed.sessions.end(signed.req, signed.res);
  redirect(signed.res, '/console/sign-in');
}

function drained(req: IncomingMessage, answer: () => void): void {
  req.resume();
  answer();
}

function notFound(res: ServerResponse): void {
  refuse(res, 404, 'Not found.');
}

function refuse(res: ServerResponse, status: number, text: string): void {
  sendPage(res, status, layout('Bastion console', html`<p class="error" role="alert">${text}</p><p><a href="/console/sign-in">Sign in</a></p>`));
}
