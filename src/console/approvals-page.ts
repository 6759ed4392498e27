import { decideAudited } from '../approvals/decide.js';
import { APPROVAL_ID_PATTERN, type Approval } from '../approvals/index.js';
import { BastionError } from '../errors/codes.js';
import { visibleBlock, visibleLine } from '../shape/visible.js';
import { STATEMENT_HEADING } from '../tools/approval-view.js';
import { auditPrincipal, type Signed } from './deps.js';
import { html, type Html } from './html.js';
import { banner, csrfField, layout, when } from './layout.js';
import { redirect, sendPage } from './respond.js';

const DONE: Readonly<Record<string, string>> = {
  approved: 'Approved. The assistant may now run exactly that statement once.',
  denied: 'Denied. The assistant cannot run it.',
};

/** GET /console/approvals: every pending approval, as the person must read it before deciding. */
export async function approvalsPage(signed: Signed, status = 200, error?: string): Promise<void> {
  const { options, session, rights, url } = signed;
  const store = options.approvals;
  const now = options.now?.() ?? Date.now();
  let body: Html;
  if (store === undefined) {
    body = html`<p>No source has writes enabled, so nothing ever waits for approval here.</p>`;
  } else {
    const pending = await store.list();
    const done = DONE[url.searchParams.get('done') ?? ''];
    body = html`${banner('notice', done)}${banner('error', error)}
${pending.length === 0 ? html`<p>No pending approvals.</p>` : pending.map((a) => approvalCard(a, signed, now))}`;
  }
  sendPage(signed.res, status, layout('Pending approvals', body, { session, rights }));
}

/**
 * One request: who asked, where, what will run with which values and what the dry run
 * did (the view the server built: every statement line numbered, the values redacted),
 * with invisible and bidirectional characters made visible, as in `bastion approvals show`.
 */
function approvalCard(a: Approval, signed: Signed, now: number): Html {
  const older = a.summary.startsWith(STATEMENT_HEADING) ? html`` : html`<h3>Statement</h3><pre>${visibleBlock(a.statement)}</pre>`;
  const own = a.principal === signed.session.principal.id;
  return html`<section class="card" data-approval="${a.id}">
<h2>${a.tool} on ${visibleLine(a.source)}</h2>
<p class="meta">Requested by <strong>${visibleLine(a.principal)}</strong> · id <code>${a.id}</code> · created ${when(a.createdAt, now)} · expires ${when(a.expiresAt, now)}</p>
${older}<pre class="view">${visibleBlock(a.summary)}</pre>
${own ? html`<p class="meta">You made this request: another person must approve it unless your role allows approving your own.</p>` : ''}
<form method="post" action="/console/approvals/decide" data-confirm="Decide on ${a.id}?">${csrfField(signed.session)}
<input type="hidden" name="id" value="${a.id}">
<label>Reason (optional) <input type="text" name="reason" maxlength="500"></label>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></section>`;
}

/** POST /console/approvals/decide: the same audited decision as `bastion approvals`, four eyes included. */
export async function decide(signed: Signed): Promise<void> {
  const { options, session, form } = signed;
  const store = options.approvals;
  const id = form?.get('id') ?? '';
  const choice = form?.get('decision');
  if (store === undefined || !APPROVAL_ID_PATTERN.test(id) || (choice !== 'approve' && choice !== 'deny')) {
    await approvalsPage(signed, 400, 'Nothing was decided: the form was incomplete.');
    return;
  }
  const decision = choice === 'approve' ? 'approved' : 'denied';
  const approval = await store.get(id);
  if (approval === undefined || approval.status !== 'pending') {
    await approvalsPage(signed, 409, `Nothing was decided: ${id} is ${approval?.status ?? 'unknown'}.`);
    return;
  }
  try {
    await decideAudited(options.audit, store, approval, decision, {
      ...auditPrincipal(session),
      allowSelf: options.roles.get(session.principal.role)?.allowSelfApproval === true,
      comment: form?.get('reason') ?? '',
    });
  } catch (error) {
    if (!(error instanceof BastionError)) throw error;
    await approvalsPage(signed, error.code === 'DENIED_BY_POLICY' ? 403 : 409, error.message);
    return;
  }
  redirect(signed.res, decision === 'approved' ? '/console/approvals?done=approved' : '/console/approvals?done=denied');
}
