import type { ConsoleRight } from '../authorize/roles.js';
import { html, type Html } from './html.js';
import type { ConsoleSession } from './session.js';

/** The pages a right opens, in the order of the navigation bar. */
export const PAGES: readonly { right: ConsoleRight; path: `/console/${string}`; title: string }[] = [
  { right: 'approve', path: '/console/approvals', title: 'Approvals' },
  { right: 'audit', path: '/console/audit', title: 'Audit' },
  { right: 'keys', path: '/console/keys', title: 'Keys' },
  { right: 'keys', path: '/console/sources', title: 'Sources' },
];

/** A whole page: the head (the console's own style and script only), the navigation for the session's rights, the body. */
export function layout(title: string, body: Html, nav?: { session: ConsoleSession; rights: ReadonlySet<ConsoleRight> }): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Bastion console</title>
<link rel="stylesheet" href="/console/static/console.css"><script src="/console/static/console.js" defer></script></head>
<body><header><strong>Bastion console</strong>${nav === undefined ? '' : navigation(nav.session, nav.rights)}</header>
<main><h1>${title}</h1>${body}</main></body></html>
`;
}

function navigation(session: ConsoleSession, rights: ReadonlySet<ConsoleRight>): Html {
  const links = PAGES.filter((page) => rights.has(page.right)).map((page) => html`<a href="${page.path}">${page.title}</a>`);
  return html`${links}<span class="meta">${session.principal.id} (${session.principal.role})</span>
<form method="post" action="/console/sign-out">${csrfField(session)}<button type="submit">Sign out</button></form>`;
}

export function csrfField(session: ConsoleSession): Html {
  return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}

/** A notice or an error above a page's content. */
export function banner(kind: 'notice' | 'error', text: string | undefined): Html {
  return text === undefined ? html`` : html`<p class="${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}

/** `2026-12-07T10:58:49Z`, and how long ago or from now, from the server's clock. */
export function when(iso: string, now: number): Html {
  const delta = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(delta);
  const span = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return html`<time datetime="${iso}">${iso.replace(/\.\d{3}Z$/, 'Z')}</time> <span class="meta">(${delta <= 0 ? `${span} ago` : `in ${span}`})</span>`;
}
