import { newCorrelationId } from '../errors/correlation.js';
import { visibleLine } from '../shape/visible.js';
import { filterOf, FILTER_FIELDS, readAudit, verifyChains, type AuditLine, type ChainState } from './audit-read.js';
import { auditPrincipal, type Signed } from './deps.js';
import { html, type Html } from './html.js';
import { layout } from './layout.js';
import { send, sendPage } from './respond.js';

/** The newest records shown on the page; the export has every matching one. */
const SHOWN = 200;

/** The audit folder the file sink writes, or undefined when the server keeps no audit files. */
function auditDir(signed: Signed): string | undefined {
  const { config } = signed.options;
  return config.audit.enabled && config.audit.sinks.includes('file') ? (config.audit.dir ?? config.state.dir) : undefined;
}

/** GET /console/audit: the newest matching records with the verdict on each chain they come from. */
export async function auditPage(signed: Signed): Promise<void> {
  const { session, rights, url } = signed;
  const dir = auditDir(signed);
  if (dir === undefined) {
    const body = html`<p>This server writes no audit files (audit.sinks has no <code>file</code>): read the trail where it goes, and check it with <code>bastion audit verify --postgres</code>.</p>`;
    sendPage(signed.res, 200, layout('Audit trail', body, { session, rights }));
    return;
  }
  const filter = filterOf(url.searchParams);
  const chains = new Map((await verifyChains(dir, signed.options.config.audit.key)).map((c) => [c.instance, c]));
  const newest: AuditLine[] = [];
  let matched = 0;
  await readAudit(dir, filter, (line) => {
    matched++;
    newest.push(line);
    if (newest.length > SHOWN) newest.shift();
  });
  newest.sort((a, b) => (field(b.record, 'time') < field(a.record, 'time') ? -1 : 1));
  const query = new URLSearchParams(Object.entries(filter)).toString();
  const body = html`<form method="get" action="/console/audit" class="card">
${FILTER_FIELDS.map((name) => html`<label>${name} <input type="text" name="${name}" value="${(filter as Record<string, string | undefined>)[name] ?? ''}" size="14"></label> `)}
<button type="submit">Search</button> <a href="/console/audit/export${query === '' ? '' : `?${query}`}">Export as JSON lines</a></form>
${chainSummary([...chains.values()])}
<p class="meta">${matched} matching record(s); the newest ${Math.min(matched, SHOWN)} shown.</p>
<table><thead><tr><th>time</th><th>principal</th><th>tool</th><th>source</th><th>decision</th><th>reason</th><th>correlation id</th><th>chain</th></tr></thead>
<tbody>${newest.map((line) => row(line, chains.get(line.instance)))}</tbody></table>`;
  sendPage(signed.res, 200, layout('Audit trail', body, { session, rights }));
}

function chainSummary(chains: readonly ChainState[]): Html {
  if (chains.length === 0) return html`<p>No audit chain yet.</p>`;
  return html`<ul>${chains.map((c) => html`<li class="${c.ok ? 'ok' : 'bad'}">chain ${visibleLine(c.instance)}: ${c.ok ? 'verified' : 'FAILED'}, ${c.detail}</li>`)}</ul>`;
}

function row(line: AuditLine, chain: ChainState | undefined): Html {
  const r = line.record;
  const principal = r['principal'] as { id?: unknown; role?: unknown } | undefined;
  const who = `${typeof principal?.id === 'string' ? principal.id : '?'} (${typeof principal?.role === 'string' ? principal.role : '?'})`;
  return html`<tr><td>${field(r, 'time')}</td><td>${visibleLine(who)}</td><td>${visibleLine(field(r, 'tool'))}</td><td>${visibleLine(field(r, 'source'))}</td>
<td>${field(r, 'decision')}</td><td>${visibleLine(field(r, 'reason'))}</td><td>${visibleLine(field(r, 'correlation_id'))}</td>
<td class="${chain?.ok === true ? 'ok' : 'bad'}">${chain?.ok === true ? 'verified' : 'NOT verified'}</td></tr>`;
}

function field(record: Record<string, unknown>, name: string): string {
  const value = record[name];
  return typeof value === 'string' ? value : '';
}

/**
 * GET /console/audit/export: every matching record exactly as stored (its seq, prev and
 * hash kept), one per line, chain by chain in order: `bastion audit verify --export FILE`
 * checks each record against its hash and consecutive records against each other. The
 * export is audited.
 */
export async function auditExport(signed: Signed): Promise<void> {
  const dir = auditDir(signed);
  const filter = filterOf(signed.url.searchParams);
  await signed.options.audit.record({
    principal: auditPrincipal(signed.session),
    correlation_id: newCorrelationId(),
    tool: 'console.audit_export',
    decision: 'allow',
    reason: 'AUDIT_EXPORTED',
    outcome: 'ok',
  });
  const lines: string[] = [];
  if (dir !== undefined) await readAudit(dir, filter, (line) => void lines.push(line.text));
  signed.res.setHeader('content-disposition', 'attachment; filename="bastion-audit.jsonl"');
  send(signed.res, 200, 'application/x-ndjson; charset=utf-8', lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}
