import { notifyPending } from '../approvals/notify.js';
import { inputRequired, inputResponse, type McpServer, type RegisteredTool } from '@modelcontextprotocol/server';
import type { CallToolResult, ElicitRequestFormParams } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { hashParams, hashStatement, type ApprovalBinding, type ApprovalTool } from '../approvals/index.js';
import { authorizeWrite } from '../authorize/write.js';
import { withFairShare } from '../engine/fair-share.js';
import { BastionError } from '../errors/codes.js';
import { bindingMismatches, MAX_APPROVAL_TEXT, type Approval, type ApprovalStore } from '../approvals/store.js';
import { mintRequestState, requestStateKey, verifyRequestState } from '../approvals/request-state.js';
import { redactLines, redactText } from '../log/redact.js';
import { jsonResult } from '../shape/result.js';
import { maskHashKey } from '../shape/mask.js';
import { approvalRefusal, approvalView } from './approval-view.js';
import type { SourceEntry } from '../engine/registry.js';
import type { ParamValue, WriteRequest, WriteResult } from '../engine/source.js';
import { guardedTool, type CallExtra, type CallNote, type CallState, type ToolAnswer } from './run.js';
import { inStage } from '../telemetry/index.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';
import { paramsArg, sourceArg, sqlArg } from './schemas.js';

interface WriteArgs {
  source?: string | undefined;
  sql: string;
  params?: ParamValue[] | undefined;
  dry_run?: boolean | undefined;
  approval_id?: string | undefined;
}

const dryRunArg = z.boolean().optional().describe('true (the default): run inside a transaction that is always rolled back and report what would change.');
const approvalArg = z
  .string()
  .regex(/^ap_[A-Za-z0-9_-]{22}$/)
  .optional()
  .describe('The approval_id a pending answer gave, once a person has approved it.');

/** How many changed rows a dry run shows: what a person sees when asked to approve, and what the pending answer echoes. */
const SAMPLE_ROWS = 20;

/**
 * `execute` and `change_schema`: one DML or one DDL statement, dry run by default.
 * A real run needs a person's approval bound to this principal, source, statement
 * and parameters — asked through MCP elicitation when the client supports it, else
 * as a pending approval decided with `bastion approvals` — unless the caller's role
 * says `approval: none` for the source.
 */
export function registerWriteTools(server: McpServer, call: ToolCall): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();
  const writable = call.ctx.sources.list(call.role).filter((entry) => entry.writes.enabled);
  if (writable.length === 0 || call.ctx.approvals === undefined) return tools;
  const names = writable.map((entry) => entry.name).join(', ');
  if (call.role.tool('execute')) {
    tools.set(
      'execute',
      registerDefined(
        server,
        call,
        'execute',
        () => ({
          title: 'Change data (one INSERT, UPDATE, DELETE or MERGE)',
          description:
            `Runs exactly one INSERT, UPDATE, DELETE or MERGE with optional $1..$n parameters on a source with writes enabled (${names}). ` +
            'dry_run defaults to true: nothing changes and the answer shows the rows it would affect. A real run (dry_run: false) needs a ' +
            "person's approval: you get an approval_id to retry with once they approve. UPDATE and DELETE need a WHERE clause.",
          inputSchema: { source: sourceArg, sql: sqlArg, params: paramsArg, dry_run: dryRunArg, approval_id: approvalArg },
          annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
        }),
        guardedTool('execute', call, (args: WriteArgs, state, extra) => runWrite(server, call, 'execute', args, state, extra)),
      ),
    );
  }
  if (call.role.tool('change_schema')) {
    tools.set(
      'change_schema',
      registerDefined(
        server,
        call,
        'change_schema',
        () => ({
          title: 'Change the schema of AI-owned objects (one DDL statement)',
          description:
            `Runs exactly one CREATE TABLE/VIEW/MATERIALIZED VIEW/INDEX, or ALTER, COMMENT ON or DROP of an object whose name starts with the source's prefix, on a source with writes enabled (${names}). ` +
            "dry_run defaults to true: the statement runs in a rolled-back transaction and the answer shows the resulting definition. A real run needs a person's approval.",
          inputSchema: { source: sourceArg, sql: sqlArg, dry_run: dryRunArg, approval_id: approvalArg },
          annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
        }),
        guardedTool('change_schema', call, (args: WriteArgs, state, extra) => runWrite(server, call, 'change_schema', args, state, extra)),
      ),
    );
  }
  return tools;
}

async function runWrite(
  server: McpServer,
  call: ToolCall,
  tool: ApprovalTool,
  args: WriteArgs,
  state: CallState,
  extra: CallExtra | undefined,
): Promise<ToolAnswer> {
  const { ctx } = call;
  const { note } = state;
  const entry = state.source();
  if (!entry.writes.enabled || entry.source.write === undefined) {
    throw new BastionError('DENIED_BY_POLICY', `Writes are not enabled for the source ${entry.name}.`);
  }
  const { guard } = entry;
  const checkWrite = guard.checkWrite?.bind(guard);
  if (checkWrite === undefined) throw new BastionError('DENIED_BY_POLICY', `Writes are not available on the source ${entry.name}.`);
  const { checked, authorized } = await inStage(state.span, 'authorize', async () => {
    const checked = checkWrite(args.sql, tool, { prefix: entry.writes.prefix, allowUnbounded: entry.writes.allow_unbounded });
    state.checked = checked;
    return { checked, authorized: await authorizeWrite(call.role, checked, entry.catalog, entry.writes, { byConstruction: guard.protectWrite !== undefined }) };
  });
  const params = tool === 'execute' ? (args.params ?? []) : [];
  if (params.length !== checked.paramCount) {
    throw new BastionError('INVALID_ARGUMENT', `The statement uses ${checked.paramCount} parameter(s) but ${params.length} were given.`);
  }
  // A role with rules runs the write as its engine rebuilt it: what it reads replaced by what
  // the role may see, its RETURNING and preview masked, every name qualified and pinned.
  const run =
    checked.tool === 'execute' && authorized.protection !== undefined && guard.protectWrite !== undefined
      ? guard.protectWrite(checked, authorized.protection, maskHashKey())
      : undefined;
  // `approvedRows`: the rows of the dry run a person approved; the real run may change no
  // more (a statement whose effect depends on the time, or on rows added meanwhile, is
  // rolled back rather than doing more than the person was shown).
  const request = (dryRun: boolean, approvedRows: number | null = null): WriteRequest => ({
    kind: tool === 'execute' ? 'dml' : 'ddl',
    sql: run?.sql ?? checked.sql,
    params: run === undefined ? params : [...params, ...run.params],
    dryRun,
    maxAffectedRows: approvedRows === null ? entry.writes.max_affected_rows : Math.min(approvedRows, entry.writes.max_affected_rows),
    sampleSql: run === undefined ? checked.sampleSql : run.sampleSql,
    sampleParams: run === undefined ? undefined : [...params, ...run.sampleParams],
    withoutSample: authorized.withoutSample,
    checked: run === undefined || checked.tool !== 'execute' ? checked : { ...checked, before: run.before },
    sampleRows: SAMPLE_ROWS,
    describe: authorized.describe,
    maxBytes: ctx.config.limits.max_bytes,
    pinnedNames: run !== undefined,
    withoutIndexScans: run?.withoutIndexScans,
    quietData: !call.role.unrestricted,
    // The plan-cost guard judges a change by its cost (dry and real runs alike); DDL has no plan.
    planBound: tool === 'execute' && ctx.config.limits.max_plan_cost !== undefined ? { maxCost: ctx.config.limits.max_plan_cost } : undefined,
  });
  const source = entry.source;
  const sourceWrite = entry.source.write.bind(entry.source);
  // Each run of the statement (dry or real) holds one of the principal's slots on the source, never the wait for a person.
  const operation = checked.tool === 'execute' ? checked.command.toUpperCase() : checked.kind.replaceAll('_', ' ').toUpperCase();
  const write = (req: WriteRequest): Promise<WriteResult> => {
    const run = (): Promise<WriteResult> => withFairShare(source, call.principal.id, ctx.config.limits.max_in_flight_per_principal, () => sourceWrite(req));
    if (state.span === undefined) return run();
    const facts = { engine: entry.engine, source: entry.name, fingerprint: checked.fingerprint, operation, dryRun: req.dryRun };
    return state.span.statement(facts, run, (r) => ({ affected: r.affected }));
  };
  const dryRun = args.dry_run !== false;
  note.dry_run = dryRun;

  if (dryRun) {
    if (args.approval_id !== undefined) throw new BastionError('INVALID_ARGUMENT', 'approval_id is only used with dry_run: false.');
    const result = await write(request(true));
    note.affected = result.affected;
    const nothing = result.validatedOnly === true ? 'Nothing was run or changed.' : 'Nothing was changed.';
    return writeAnswer(entry, tool, result, { dry_run: true, note: `${nothing} To apply it, call again with dry_run: false; a person must approve it.` });
  }

  const binding: ApprovalBinding = { principal: call.principal.id, source: entry.name, tool, sqlHash: hashStatement(checked.sql), paramsHash: hashParams(params) };
  const approvals = ctx.approvals;
  if (approvals === undefined) throw new BastionError('INTERNAL', 'The approval store is not open.');

  // Who may answer the approval form inside the client: the local user of a stdio server
  // (their own client), or a remote principal whose role says `in_client` for this source.
  // Anyone else's client could answer its own form, so its writes wait for the CLI or console.
  const mode = call.role.approvalFor(entry.name);
  const inClient = call.principal.kind === 'local' || mode === 'in_client';

  // 2026-07-28: the retry of a call answered `input_required`, carrying the person's answer.
  if (extra?.requestState !== undefined) {
    if (args.approval_id !== undefined) throw new BastionError('INVALID_ARGUMENT', 'A retry with requestState takes no approval_id.');
    if (!inClient) {
      note.approval = { state: 'refused', reason: 'NOT_IN_CLIENT' };
      throw new BastionError('APPROVAL_INVALID', 'Approval inside the client is not enabled for your role on this source; a person approves this change in the console or with `bastion approvals`. Nothing was changed.');
    }
    const approved = await answered(call, approvals, binding, extra, note);
    return commit(entry, tool, write, request(false, approved.maxRows), note, approved.maxRows);
  }

  if (args.approval_id !== undefined) {
    const consumed = await approvals.consume(args.approval_id, binding);
    if (!consumed.ok) {
      note.approval = { state: 'refused', id: args.approval_id, reason: consumed.reason };
      throw new BastionError('APPROVAL_INVALID', approvalRefusal(consumed.reason));
    }
    note.approval = { state: 'used', id: args.approval_id, by: consumed.approval.decidedBy };
    return commit(entry, tool, write, request(false, consumed.approval.maxRows), note, consumed.approval.maxRows);
  }

  if (mode === 'none') {
    note.approval = { state: 'none' };
    return commit(entry, tool, write, request(false), note);
  }

  // The person must read the statement exactly as it will run: a statement text the
  // redactor would change (a secret-shaped literal or comment) could hide part of itself
  // behind a marker, so it is refused here and its value belongs in a parameter, where
  // only the value is redacted and every line of the statement stays visible.
  if (redactText(checked.sql) !== checked.sql) {
    throw new BastionError(
      'INVALID_ARGUMENT',
      'The statement text contains something shaped like a secret, which a person could not be shown for approval; pass such values as parameters ($1, ?).',
    );
  }

  // Show the person exactly what will run, with which values, and what it does, first:
  // one view, built from pieces each redacted once, for every way they are asked.
  const preview = await write(request(true));
  const view = approvalView(checked.sql, {
    engine: entry.source.engine,
    command: checked.tool === 'execute' ? checked.command : undefined,
    ownReturning: checked.tool === 'execute' && checked.hasReturning,
    setColumns: checked.tool === 'execute' ? checked.setColumns : undefined,
    params,
    result: preview,
  });

  // Elicitation needs a transport that carries server-to-client requests (stdio does;
  // the HTTP JSON-response mode does not): otherwise the approval goes through the CLI.
  if (inClient && call.elicitation && server.server.getClientCapabilities()?.elicitation !== undefined) {
    const answer = await server.server.elicitInput(approvalForm(entry.name, tool, view));
    if (answer.action !== 'accept' || answer.content?.['approve'] !== true) {
      note.approval = { state: 'declined' };
      throw new BastionError('APPROVAL_INVALID', 'The person declined the change; nothing was changed.');
    }
    note.approval = { state: 'elicited' };
    const shown = tool === 'execute' ? (preview.changedInAll ?? preview.affected) : null;
    return commit(entry, tool, write, request(false, shown), note, shown);
  }

  if (view.length > MAX_APPROVAL_TEXT) {
    throw new BastionError('INVALID_ARGUMENT', 'The statement and its dry run are too long to show a person for approval; split the change into smaller statements.');
  }
  // A pending approval in the store for every way of asking below, so it shows in
  // `bastion approvals` and the console, and is used once (across replicas too).
  const approval = await approvals.create({
    ...binding,
    // `approvals list` shows its first line; `show` and the answer below show the whole view.
    statement: redactLines(checked.sql).join('\n'),
    maxRows: tool === 'execute' ? (preview.changedInAll ?? preview.affected) : null,
    summary: view,
    ttlMs: entry.writes.approval_ttl_s * 1000,
    instance: ctx.audit.instance || 'bastion',
  });
  void notifyPending(approval, ctx.config.approvals, ctx.log);
  note.affected = preview.affected;
  note.approval = { state: 'requested', id: approval.id };

  // 2026-07-28 with a client that declares elicitation: ask the person in the result
  // itself; the client retries with the answer and this signed, bound, single-use state.
  if (inClient && extra?.elicitationInBand === true) {
    return inputRequired({
      inputRequests: { [APPROVE_KEY]: inputRequired.elicit(approvalForm(entry.name, tool, view)) },
      requestState: mintRequestState(stateKey(call), approval.id, binding, new Date(approval.expiresAt)),
    });
  }
  return jsonResult({
    status: 'pending',
    approval_id: approval.id,
    expires_at: approval.expiresAt,
    next_step:
      `Nothing was changed. A person must approve this, in the Bastion console (/console, when the server serves HTTP) or with \`bastion approvals approve ${approval.id}\` on the server; ` +
      'then call again with the same sql, params and source, dry_run: false and this approval_id. You cannot approve it yourself.',
  }, { dry_run_result: view });
}

/** The key of the person's answer in an `input_required` result and its retry. */
const APPROVE_KEY = 'approve';

/** The form a person answers, by 2025 elicitation or in a 2026-07-28 `input_required` result. */
function approvalForm(source: string, tool: ApprovalTool, view: string): ElicitRequestFormParams {
  return {
    mode: 'form',
    message:
      `An assistant asks to run this on ${source} (${tool}):\n\n${view}\n\n` +
      'Approve only if you want this change made. The assistant cannot approve it for you.',
    requestedSchema: {
      type: 'object',
      properties: { [APPROVE_KEY]: { type: 'boolean', title: 'Run this change', description: 'Tick to run it now.' } },
      required: [APPROVE_KEY],
    },
  };
}

function stateKey(call: ToolCall): Buffer {
  return requestStateKey(call.ctx, call.ctx.config.audit.key);
}

/**
 * The retry of an `input_required` approval: the state's signature, expiry and binding to
 * this very call (principal from the credential; source, tool, statement, parameters)
 * first; then the person's answer decides the pending approval (`elicitation:<principal>`:
 * the client's user, as with 2025 elicitation) and an approval is used from the store,
 * once. Anything else is refused, and the refusal goes in the call's audit record.
 */
async function answered(call: ToolCall, approvals: ApprovalStore, binding: ApprovalBinding, extra: CallExtra, note: CallNote): Promise<Approval> {
  const verdict = verifyRequestState(stateKey(call), extra.requestState, binding, new Date());
  if (!verdict.ok) {
    note.approval = { state: 'refused', reason: verdict.reason };
    call.ctx.log.warn({ principal: call.principal.id, tool: binding.tool, source: binding.source, reason: verdict.reason }, 'a write retry presented a requestState that was refused');
    throw new BastionError(
      'APPROVAL_INVALID',
      verdict.reason === 'STATE_EXPIRED'
        ? 'That approval request expired. Nothing was changed; call again with dry_run: false to ask the person again.'
        : 'That requestState is not valid for this call (it must come unchanged from the answer to exactly this call, by the same caller). Nothing was changed.',
    );
  }
  const id = verdict.approvalId;
  // The approval itself must be this call's too, before the answer decides it: a state is
  // only as good as its key, and no answer may decide another call's approval.
  const stored = await approvals.get(id);
  if (stored === undefined || bindingMismatches(stored, binding).length > 0) {
    note.approval = { state: 'refused', id, reason: stored === undefined ? 'NOT_FOUND' : 'MISMATCH' };
    throw new BastionError('APPROVAL_INVALID', approvalRefusal('MISMATCH'));
  }
  const by = `elicitation:${call.principal.id}`.slice(0, 256);
  const answer = inputResponse(extra.inputResponses, APPROVE_KEY);
  if (answer.kind !== 'elicit' || answer.action !== 'accept' || answer.content?.[APPROVE_KEY] !== true) {
    // Declined, cancelled or unanswered: the approval is denied unless already decided.
    await decideIfPending(approvals, id, 'denied', by);
    note.approval = { state: 'declined', id };
    throw new BastionError('APPROVAL_INVALID', 'The person declined the change; nothing was changed.');
  }
  await decideIfPending(approvals, id, 'approved', by);
  const consumed = await approvals.consume(id, binding);
  if (!consumed.ok) {
    note.approval = { state: 'refused', id, reason: consumed.reason };
    throw new BastionError('APPROVAL_INVALID', approvalRefusal(consumed.reason));
  }
  note.approval = { state: 'elicited', id, ...(consumed.approval.decidedBy === undefined ? {} : { by: consumed.approval.decidedBy }) };
  return consumed.approval;
}

/** Decides the approval if it is still pending; one already decided, used or expired is left as it is (consume then says why). */
async function decideIfPending(approvals: ApprovalStore, id: string, decision: 'approved' | 'denied', by: string): Promise<void> {
  try {
    await approvals.decide(id, decision, by);
  } catch (error) {
    if (!(error instanceof BastionError)) throw error;
  }
}

async function commit(
  entry: SourceEntry,
  tool: ApprovalTool,
  write: (r: WriteRequest) => Promise<WriteResult>,
  request: WriteRequest,
  note: CallNote,
  approvedRows: number | null = null,
): Promise<CallToolResult> {
  let result: WriteResult;
  try {
    result = await write(request);
  } catch (error) {
    // The engine rolled the change back at the bound; say which bound it was.
    if (approvedRows !== null && approvedRows < entry.writes.max_affected_rows && error instanceof BastionError && error.code === 'WRITE_LIMIT_EXCEEDED') {
      throw new BastionError(
        'APPROVAL_INVALID',
        `The change would now change more rows than the ${approvedRows} the person approved in its dry run (counting its cascades and triggers); it was rolled back and nothing changed. Ask again with a fresh dry run.`,
      );
    }
    throw error;
  }
  note.affected = result.affected;
  // New, renamed or dropped objects: name resolution must see the database as it is now.
  if (tool === 'change_schema' && result.committed) entry.catalog.invalidate();
  return writeAnswer(entry, tool, result, { dry_run: false });
}

function writeAnswer(entry: SourceEntry, tool: ApprovalTool, result: WriteResult, extra: Record<string, unknown>): CallToolResult {
  return jsonResult({
    source: entry.name,
    tool,
    ...extra,
    ...(result.validatedOnly === true ? { validated_only: true } : { affected_rows: result.affected }),
    committed: result.committed,
    ...(result.notice !== undefined ? { notice: result.notice } : {}),
    ...(result.sample ? { sample: { columns: result.sample.columns.map((c) => c.name), rows: result.sample.rows, truncated: result.sample.truncated } } : {}),
    ...(result.definition !== undefined ? { definition: result.definition } : {}),
  });
}
