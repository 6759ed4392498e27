import { parseKeyLifetime } from '../auth/api-keys/duration.js';
import { KEY_ID_PATTERN } from '../auth/api-keys/key.js';
import type { ApiKeyRecord } from '../auth/api-keys/store.js';
import { newCorrelationId } from '../errors/correlation.js';
import { visibleLine } from '../shape/visible.js';
import { auditPrincipal, type Signed } from './deps.js';
import { html, type Html } from './html.js';
import { banner, csrfField, layout } from './layout.js';
import { sendPage } from './respond.js';

/** GET /console/keys (admin): every key without its secret, a form to create one, a button to revoke each. */
export async function keysPage(signed: Signed, status = 200, message?: { kind: 'notice' | 'error'; text: string }, created?: { id: string; key: string }): Promise<void> {
  const { options, session, rights } = signed;
  const keys = options.apiKeys;
  let body: Html;
  if (keys === undefined) {
    body = html`<p>API keys are disabled on this server (auth.api_keys.enabled: false).</p>`;
  } else {
    const list = await keys.store.list();
    const roles = [...options.roles.keys()];
    body = html`${message === undefined ? '' : banner(message.kind, message.text)}
${created === undefined ? '' : html`<div class="notice" role="status"><p>Key <code>${created.id}</code> created. Copy it now: it is shown only this once and cannot be recovered.</p><p class="secret" data-new-key>${created.key}</p></div>`}
<form method="post" action="/console/keys/create" class="card">${csrfField(session)}
<label>Name <input type="text" name="name" maxlength="100" required></label>
<label>Role <select name="role">${roles.map((r) => html`<option value="${r}">${r}</option>`)}</select></label>
<label>Expires after <input type="text" name="expires" placeholder="90d (empty: never)" size="12"></label>
<button type="submit">Create key</button></form>
<table><thead><tr><th>id</th><th>name</th><th>role</th><th>created</th><th>expires</th><th>last used</th><th>revoked</th><th></th></tr></thead>
<tbody>${list.map((k) => keyRow(k, signed))}</tbody></table>`;
  }
  sendPage(signed.res, status, layout('API keys', body, { session, rights }));
}

function keyRow(k: ApiKeyRecord, signed: Signed): Html {
  const revoke = k.revokedAt === null
    ? html`<form method="post" action="/console/keys/revoke" data-confirm="Revoke ${k.id}? Clients using it are refused within seconds.">${csrfField(signed.session)}<input type="hidden" name="id" value="${k.id}"><button type="submit">Revoke</button></form>`
    : '';
  return html`<tr><td><code>${k.id}</code></td><td>${visibleLine(k.name)}</td><td>${k.role}</td><td>${time(k.createdAt)}</td><td>${time(k.expiresAt, 'never')}</td><td>${time(k.lastUsedAt, 'never')}</td><td>${time(k.revokedAt)}</td><td>${revoke}</td></tr>`;
}

function time(value: Date | null, none = '-'): string {
  return value === null ? none : value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** POST /console/keys/create: like `bastion keys create`, the key shown once in this answer only; audited. */
export async function createKey(signed: Signed): Promise<void> {
  const { options, form } = signed;
  const keys = options.apiKeys;
  const name = form?.get('name') ?? '';
  const role = form?.get('role') ?? '';
  const expires = form?.get('expires')?.trim() ?? '';
  if (keys === undefined || !options.roles.has(role)) {
    await keysPage(signed, 400, { kind: 'error', text: 'No key was created: choose one of the listed roles.' });
    return;
  }
  let expiresAt: Date | undefined;
  let created;
  try {
    if (expires !== '') expiresAt = new Date(Date.now() + parseKeyLifetime(expires));
    created = await keys.store.create({ name, role, expiresAt });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    await keysPage(signed, 400, { kind: 'error', text: `No key was created: ${error.message}.` });
    return;
  }
  await keysAudit(signed, 'KEY_CREATED', created.record.id);
  await keys.verifier.refresh().catch(() => undefined);
  await keysPage(signed, 200, undefined, { id: created.record.id, key: created.key });
}

/** POST /console/keys/revoke: like `bastion keys revoke`; audited. */
export async function revokeKey(signed: Signed): Promise<void> {
  const keys = signed.options.apiKeys;
  const id = signed.form?.get('id') ?? '';
  if (keys === undefined || !KEY_ID_PATTERN.test(id) || !(await keys.store.revoke(id))) {
    await keysPage(signed, 400, { kind: 'error', text: 'Nothing was revoked: no key has that id.' });
    return;
  }
  await keysAudit(signed, 'KEY_REVOKED', id);
  await keys.verifier.refresh().catch(() => undefined);
  await keysPage(signed, 200, { kind: 'notice', text: `Revoked ${id}.` });
}

async function keysAudit(signed: Signed, reason: 'KEY_CREATED' | 'KEY_REVOKED', subject: string): Promise<void> {
  await signed.options.audit.record({
    principal: auditPrincipal(signed.session),
    correlation_id: newCorrelationId(),
    tool: 'console.keys',
    subject,
    decision: 'allow',
    reason,
    outcome: 'ok',
  });
}

/** GET /console/sources (admin): each source's engine, mode and readiness probe; never a URL. */
export async function sourcesPage(signed: Signed): Promise<void> {
  const { session, rights } = signed;
  const sources = await signed.options.sources();
  const body = html`<p class="meta">Modes and sources are set in bastion.yaml; the console shows them and changes nothing.</p>
<table><thead><tr><th>source</th><th>engine</th><th>mode</th><th>health</th></tr></thead>
<tbody>${sources.map((s) => html`<tr><td>${s.name}</td><td>${s.engine}</td><td>${s.mode}</td><td class="${s.ready ? 'ok' : 'bad'}">${s.ready ? 'ready' : 'not ready'}</td></tr>`)}</tbody></table>`;
  sendPage(signed.res, 200, layout('Sources', body, { session, rights }));
}
