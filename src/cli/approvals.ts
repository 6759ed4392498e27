import { hostname, userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { openApprovalStore } from '../approvals/index.js';
import { approvalNotFound, notDecidable, type Approval, type ApprovalStore } from '../approvals/store.js';
import type { AuditTrail } from '../audit/trail.js';
import { loadConfig } from '../config/load.js';
import type { BastionConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import { createLogger, type Logger } from '../log/logger.js';
import { visibleBlock, visibleLine } from '../shape/visible.js';
import { STATEMENT_HEADING } from '../tools/approval-view.js';
import { decideAudited, openDecisionAudit } from './approvals-decide.js';

interface ApprovalsOptions {
  config?: string;
}

interface ListOptions extends ApprovalsOptions {
  all?: boolean;
  json?: boolean;
}

interface ApproveOptions extends ApprovalsOptions {
  yes?: boolean;
}

/**
 * `bastion approvals list|show|approve|deny`: a person decides on the changes an
 * assistant asked to make. Everything the assistant wrote (the statement, the dry-run
 * summary, names) is printed with control, format and bidi characters made visible,
 * so a statement cannot hide part of itself from the person approving it.
 */
export function registerApprovalsCommand(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('List, inspect, approve and deny changes that assistants asked to make')
    .option('--config <file>', 'configuration file (default ./bastion.yaml if present)');

  approvals
    .command('list')
    .description('List pending approvals, newest first')
    .option('--all', 'also approved, denied, used and expired ones')
    .option('--json', 'print JSON for scripts')
    .action(async (_options: ListOptions, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      await withStore(options, async ({ store }) => {
        const list = await store.list({ all: options.all === true });
        process.stdout.write(options.json === true ? formatJson(list) : formatApprovalTable(list, options.all === true));
      });
    });

  approvals
    .command('show')
    .description('Show one approval in full: the statement, its parameter values and the dry-run result')
    .argument('<id>', 'the approval id, as shown by approvals list')
    .action(async (id: string, _options: ApprovalsOptions, command: Command) => {
      await withStore(command.optsWithGlobals<ApprovalsOptions>(), async ({ store }) => {
        process.stdout.write(describeApproval(await mustGet(store, id)));
      });
    });

  approvals
    .command('approve')
    .description('Approve one change after reading it; the assistant may then run it once')
    .argument('<id>', 'the approval id, as shown by approvals list')
    .option('--yes', 'approve without asking (required when not run in a terminal)')
    .action(async (id: string, _options: ApproveOptions, command: Command) => {
      const options = command.optsWithGlobals<ApproveOptions>();
      await withStore(options, (opened) => approve(opened, id, options));
    });

  approvals
    .command('deny')
    .description('Deny one change; the assistant cannot run it')
    .argument('<id>', 'the approval id, as shown by approvals list')
    .action(async (id: string, _options: ApprovalsOptions, command: Command) => {
      await withStore(command.optsWithGlobals<ApprovalsOptions>(), async ({ store, config, log }) => {
        const approval = await mustGet(store, id);
        if (approval.status !== 'pending') throw notDecidable(id, 'denied', approval, store.location);
        const denied = await withDecisionAudit(config, log, (audit) => decideAudited(audit, store, approval, 'denied', approver()));
        process.stdout.write(`Denied ${denied.id}. The assistant's retry with this approval_id will be refused.\n`);
      });
    });
}

async function approve({ store, config, log }: Opened, id: string, options: ApproveOptions): Promise<void> {
  const approval = await mustGet(store, id);
  if (approval.status !== 'pending') throw notDecidable(id, 'approved', approval, store.location);
  const ask = options.yes !== true;
  // The person must see what they approve: both ends of the conversation are a terminal.
  if (ask && (process.stdin.isTTY !== true || process.stdout.isTTY !== true)) {
    throw new BastionError('INVALID_ARGUMENT', `Not approved: there is no terminal to confirm on. Run it in a terminal, or add --yes if a script really means to approve ${id}.`);
  }
  // The audit chain opens before the person is asked: one that cannot be written refuses at once.
  const approved = await withDecisionAudit(config, log, async (audit) => {
    process.stdout.write(describeApproval(approval));
    if (ask && !(await confirm('Approve? [y/N] '))) return null;
    return decideAudited(audit, store, approval, 'approved', approver());
  });
  if (approved === null) {
    process.stderr.write(`Not approved; ${id} is still pending.\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`Approved ${approved.id} as ${visibleLine(approved.decidedBy ?? '')}. The assistant may run exactly this statement once, until ${approved.expiresAt}.\n`);
}

async function mustGet(store: ApprovalStore, id: string): Promise<Approval> {
  const approval = await store.get(id);
  if (approval === undefined) throw approvalNotFound(id, store.location);
  return approval;
}

/** What `approvals` reads (audit: a decision is recorded); a ${VAR} elsewhere (a database password) may stay unset. */
const APPROVALS_SECTIONS = ['state', 'log', 'audit'] as const;

interface Opened {
  readonly store: ApprovalStore;
  readonly config: BastionConfig;
  readonly log: Logger;
}

async function withStore(options: ApprovalsOptions, run: (opened: Opened) => Promise<void>): Promise<void> {
  const config = loadConfig({ configPath: options.config, sections: APPROVALS_SECTIONS }).config;
  const log = createLogger(config.log.level);
  const store = await openApprovalStore(config, log);
  try {
    await run({ store, config, log });
  } finally {
    await store.close();
  }
}

/** Opens this run's audit chain for `decide`, and seals it afterwards, whatever happened. */
async function withDecisionAudit<T>(config: BastionConfig, log: Logger, decide: (audit: AuditTrail) => Promise<T>): Promise<T> {
  const audit = await openDecisionAudit(config, log);
  try {
    return await decide(audit);
  } finally {
    await audit.close();
  }
}

/** Only an explicit y or yes approves; Ctrl+D or anything else is a no. */
async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^\s*y(es)?\s*$/i.test(await prompt.question(question));
  } catch {
    return false;
  } finally {
    prompt.close();
  }
}

/** Who decided: the OS user at this host. Not proof of identity, but what the audit can name. */
function approver(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid is still a name an operator can trace.
    user = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `${user}@${hostname()}`;
}

const COLUMNS = ['ID', 'STATUS', 'PRINCIPAL', 'SOURCE', 'TOOL', 'CREATED', 'EXPIRES', 'STATEMENT'] as const;
const STATEMENT_WIDTH = 60;

function formatApprovalTable(approvals: readonly Approval[], all: boolean): string {
  if (approvals.length === 0) return all ? 'No approvals.\n' : 'No pending approvals.\n';
  const rows = approvals.map((a) => [
    a.id,
    a.status,
    visibleLine(a.principal),
    visibleLine(a.source),
    a.tool,
    shortTime(a.createdAt),
    shortTime(a.expiresAt),
    firstLine(a.statement),
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n') + '\n';
}

/** Every field a person needs to decide; never the stored digests, which could confirm a guess at a redacted value. */
function describeApproval(a: Approval): string {
  const decided = a.decidedAt === undefined ? '-' : `${a.decidedAt} by ${visibleLine(a.decidedBy ?? '?')}`;
  const fields: [string, string][] = [
    ['status', a.status],
    ['principal', visibleLine(a.principal)],
    ['source', visibleLine(a.source)],
    ['tool', a.tool],
    ['requested by', `server instance ${visibleLine(a.instance)}`],
    ['created', a.createdAt],
    ['expires', a.expiresAt],
    ['decided', decided],
    ['used', a.usedAt ?? '-'],
  ];
  // The summary is the view the server built (../tools/approval-view.ts): every line of the
  // statement numbered, each bound value (redacted) and the dry run's rows, titled.
  // One made by an older server does not hold the statement: it is printed first.
  const older = a.summary.startsWith(STATEMENT_HEADING) ? [] : ['Statement:', indent(visibleBlock(a.statement)), '', 'Values and dry run:'];
  return [
    `Approval ${a.id}`,
    ...fields.map(([name, value]) => `  ${name.padEnd(13)}${value}`),
    '',
    ...older,
    indent(visibleBlock(a.summary)),
    '',
  ].join('\n');
}

function formatJson(approvals: readonly Approval[]): string {
  const shown = approvals.map(({ sqlHash: _sql, paramsHash: _params, ...rest }) => rest);
  // Still JSON, and the same values, but a terminal shows every character that is there.
  return `${visibleBlock(JSON.stringify(shown, null, 2))}\n`;
}

function firstLine(statement: string): string {
  const lines = statement.trim().split('\n');
  const first = visibleLine(lines[0] ?? '');
  const more = lines.length > 1 || first.length > STATEMENT_WIDTH;
  return more ? `${first.slice(0, STATEMENT_WIDTH - 1)}…` : first;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

function shortTime(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}
