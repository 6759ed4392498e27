/**
 * A person's approval of a write on MCP 2026-07-28, end to end on the built binary: the
 * first real run answers `input_required` with the approval form and a signed
 * `requestState`; the client's retry carries the person's answer and that state. Over
 * stdio and HTTP, with the SDK v2 client pinned to 2026-07-28 (its elicitation handler
 * plays the person): accept commits once, decline changes nothing, and a replayed,
 * altered, expired or other principal's state is refused, changes nothing and is
 * audited. A client without the elicitation capability, and a 2025-era client over
 * HTTP, get the pending answer for the CLI as before. Effects are read from the SQLite
 * file itself.
 */
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { CallToolResult } from '@modelcontextprotocol/server';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileApprovalStore, hashParams, hashStatement } from '../../src/approvals/index.js';
import { mintRequestState, requestStateKey } from '../../src/approvals/request-state.js';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import { BIN, cleanEnv, cleanup, dirWithConfig, rawRequest, runCli, startHttp, stateHomeFor, type HttpBastion } from '../helpers/spawn.js';

const MODERN = '2026-07-28';
const BUMP = 'UPDATE items SET n = n + 1 WHERE id = 1';
const AUDIT_KEY = 'approvals-2026-test-audit-key-0123456789abcdef';
const ACCEPT = { approve: { action: 'accept', content: { approve: true } } };

/** A folder with two SQLite files (`main`, and `quick` whose approvals live one second) and a config serving both. */
function setup(extra: string[] = []): string {
  const source = (name: string, ttl: number): string[] => [
    `  ${name}:`,
    '    engine: sqlite',
    `    path: ./${name}.db`,
    '    writes:',
    '      enabled: true',
    `      approval_ttl_s: ${ttl}`,
  ];
  const cwd = dirWithConfig(['sources:', ...source('main', 900), ...source('quick', 1), 'state:', '  dir: ./state', 'rate_limits:', '  per_principal_per_minute: 100000', ...extra, ''].join('\n'));
  for (const name of ['main', 'quick']) {
    const db = new Database(join(cwd, `${name}.db`));
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO items (id, n) VALUES (1, 0);');
    db.close();
  }
  return cwd;
}

/** The value the statements change, read from the database file. */
function valueIn(cwd: string, source = 'main'): number {
  const db = new Database(join(cwd, `${source}.db`), { readonly: true });
  try {
    return (db.prepare('SELECT n FROM items WHERE id = 1').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Every record of the server chains in the folder's state (each stdio connection its own process and chain), oldest first. */
function audit(cwd: string): Record<string, unknown>[] {
  const at = (r: Record<string, unknown>): string => `${String(r['time'])} ${String(r['seq']).padStart(10, '0')}`;
  return [...chainTexts(join(cwd, 'state'), 'servers').values()].flatMap(recordsOf).sort((a, b) => at(a).localeCompare(at(b)));
}

function refusals(cwd: string): { reason?: string; state?: string; id?: string }[] {
  return audit(cwd)
    .filter((r) => r['tool'] === 'execute' && r['decision'] === 'deny' && r['reason'] === 'APPROVAL_INVALID')
    .map((r) => r['approval'] as { reason?: string; state?: string; id?: string });
}

function errorText(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

interface InputRequired {
  resultType: 'input_required';
  inputRequests: Record<string, { method: string; params: { message: string } }>;
  requestState: string;
}

type Answer = { action: 'accept'; content: { approve: boolean } } | { action: 'decline' };

/**
 * The SDK v2 client pinned to 2026-07-28. `answer`: it declares elicitation and its
 * handler answers so (auto-fulfilment); `manual`: it declares elicitation and hands
 * `input_required` back to the test; neither: no elicitation capability.
 */
function modernClient(options: { answer?: Answer; manual?: boolean } = {}): Client {
  const elicits = options.answer !== undefined || options.manual === true;
  const client = new Client(
    { name: 'approvals-2026', version: '1' },
    {
      versionNegotiation: { mode: { pin: MODERN } },
      ...(elicits ? { capabilities: { elicitation: { form: {} } } } : {}),
      ...(options.manual === true ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  if (elicits) client.setRequestHandler('elicitation/create', () => Promise.resolve(options.answer ?? { action: 'decline' }));
  return client;
}

function stdioTransport(cwd: string): StdioClientTransport {
  return new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve'], cwd, env: cleanEnv({ XDG_STATE_HOME: stateHomeFor(cwd) }), stderr: 'pipe' });
}

/** The first round of a real run, left to the test (manual mode). */
async function firstRound(client: Client, args: Record<string, unknown>): Promise<InputRequired> {
  const result = (await client.callTool({ name: 'execute', arguments: { ...args, dry_run: false } }, { allowInputRequired: true })) as unknown as InputRequired;
  expect(result.resultType).toBe('input_required');
  return result;
}

/** A retry carrying `requestState` and the person's answers, as a client sends it. */
async function retry(client: Client, args: Record<string, unknown>, requestState: string, inputResponses: Record<string, unknown> = ACCEPT): Promise<CallToolResult> {
  return (await client.callTool({ name: 'execute', arguments: { ...args, dry_run: false }, requestState, inputResponses } as never));
}

/** `state` with one character of its signature (after the dot) or of its payload changed. */
function flipped(state: string, part: 'signature' | 'payload'): string {
  const at = part === 'signature' ? state.length - 3 : 5;
  const swap = state[at] === 'A' ? 'B' : 'A';
  return state.slice(0, at) + swap + state.slice(at + 1);
}

function expiryOf(state: string): number {
  return (JSON.parse(Buffer.from(state.split('.')[0] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp;
}

afterAll(cleanup);

describe('approvals on MCP 2026-07-28 over stdio', () => {
  const cwd = setup();

  async function connected(client: Client): Promise<Client> {
    await client.connect(stdioTransport(cwd));
    expect(client.getProtocolEra()).toBe('modern');
    return client;
  }

  it('accepted in the form: the change is committed once and audited as decided by elicitation', async () => {
    const client = await connected(modernClient({ answer: { action: 'accept', content: { approve: true } } }));
    try {
      const before = valueIn(cwd);
      const result = await client.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } });
      expect(result.isError, errorText(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ committed: true, affected_rows: 1 });
      expect(valueIn(cwd)).toBe(before + 1);
      const used = audit(cwd).filter((r) => (r['approval'] as { state?: string } | undefined)?.state === 'elicited');
      expect(used.at(-1)).toMatchObject({ decision: 'allow', outcome: 'ok', approval: { by: 'elicitation:local' } });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('declined in the form: nothing changes, and the decline is audited', async () => {
    const client = await connected(modernClient({ answer: { action: 'decline' } }));
    try {
      const before = valueIn(cwd);
      const result = await client.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } });
      expect(result.isError).toBe(true);
      expect(errorText(result)).toMatch(/^APPROVAL_INVALID: The person declined/);
      expect(valueIn(cwd)).toBe(before);
      expect(refusals(cwd).at(-1)).toMatchObject({ state: 'declined' });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('an altered state (one character of its signature or payload, or another statement) is refused and audited; the real one then still runs once; its replay is refused', async () => {
    const client = await connected(modernClient({ manual: true }));
    try {
      const before = valueIn(cwd);
      const args = { sql: BUMP, source: 'main' };
      const first = await firstRound(client, args);
      expect(first.inputRequests['approve']?.params.message).toContain(BUMP);
      expect(valueIn(cwd)).toBe(before);

      for (const state of [flipped(first.requestState, 'signature'), flipped(first.requestState, 'payload'), `${first.requestState}x`]) {
        const refused = await retry(client, args, state);
        expect(refused.isError).toBe(true);
        expect(errorText(refused)).toMatch(/^APPROVAL_INVALID: That requestState is not valid for this call/);
      }
      const otherStatement = await retry(client, { sql: 'UPDATE items SET n = n + 100 WHERE id = 1', source: 'main' }, first.requestState);
      expect(otherStatement.isError).toBe(true);
      expect(errorText(otherStatement)).toMatch(/^APPROVAL_INVALID:/);
      expect(valueIn(cwd)).toBe(before);
      expect(refusals(cwd).slice(-4).map((r) => r.reason)).toEqual(['STATE_INVALID', 'STATE_INVALID', 'STATE_INVALID', 'STATE_MISMATCH']);

      const done = await retry(client, args, first.requestState);
      expect(done.isError, errorText(done)).toBeFalsy();
      expect(valueIn(cwd)).toBe(before + 1);

      const replay = await retry(client, args, first.requestState);
      expect(replay.isError).toBe(true);
      expect(errorText(replay)).toMatch(/^APPROVAL_INVALID: That approval was already used/);
      expect(valueIn(cwd)).toBe(before + 1);
      expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'USED' });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('an expired state is refused and audited, and nothing changes', async () => {
    const client = await connected(modernClient({ manual: true }));
    try {
      const args = { sql: BUMP, source: 'quick' };
      const before = valueIn(cwd, 'quick');
      const first = await firstRound(client, args);
      const exp = expiryOf(first.requestState);
      await expect.poll(() => Date.now() > exp + 20, { timeout: 5_000, interval: 50 }).toBe(true);
      const late = await retry(client, args, first.requestState);
      expect(late.isError).toBe(true);
      expect(errorText(late)).toMatch(/^APPROVAL_INVALID: That approval request expired/);
      expect(valueIn(cwd, 'quick')).toBe(before);
      expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'STATE_EXPIRED' });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('a client without the elicitation capability gets the pending answer for the CLI, and nothing changes', async () => {
    const client = await connected(modernClient());
    try {
      const before = valueIn(cwd);
      const result = await client.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } });
      expect(result.isError, errorText(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ status: 'pending', approval_id: expect.stringMatching(/^ap_/) });
      expect(valueIn(cwd)).toBe(before);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('approvals on MCP 2026-07-28 over HTTP with API keys', () => {
  // The requestState key derives from the audit key: the test derives the same one, as a replica would.
  // Remote principals answer the form in their client only when their role says in_client
  // (alice and bob); carol is a plain writer, whose writes wait for the console or the CLI.
  const cwd = setup([
    'audit:',
    `  key: ${AUDIT_KEY}`,
    'roles:',
    '  agent:',
    '    tools: [list_sources, query, execute, change_schema]',
    '    approval: { "*": in_client }',
  ]);
  let server: HttpBastion;
  let alice = '';
  let bob = '';
  let carol = '';

  async function createKey(name: string, role = 'agent'): Promise<string> {
    const run = await runCli(['keys', 'create', '--name', name, '--role', role], { cwd });
    expect(run.code, run.stderr).toBe(0);
    return run.stdout.trim();
  }

  beforeAll(async () => {
    alice = await createKey('alice');
    bob = await createKey('bob');
    carol = await createKey('carol', 'writer');
    server = await startHttp([], { cwd, auth: true });
  }, 60_000);

  afterAll(async () => {
    await server.stop();
  });

  async function connected(client: Client, key: string): Promise<Client> {
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    expect(client.getProtocolEra()).toBe('modern');
    return client;
  }

  /** One raw 2026-07-28 tools/call of execute; the protocol headers match the body unless `headers` says otherwise. */
  async function post(
    key: string,
    params: Record<string, unknown>,
    headers: Record<string, string> = {},
    url = server.url,
  ): Promise<{ status: number; json: { result?: Record<string, unknown>; error?: { code: number } } }> {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'execute',
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
        },
      },
    };
    const res = await rawRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'execute',
        authorization: `Bearer ${key}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: JSON.parse(res.body) as never };
  }

  it('a role without in_client never approves in its own client: the form is not offered, an answer and a state are refused, nothing changes', async () => {
    const before = valueIn(cwd);
    // The attack: an agent declaring elicitation, answering its own form at once.
    const selfApproving = await connected(modernClient({ answer: { action: 'accept', content: { approve: true } } }), carol);
    try {
      const asked = await selfApproving.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } });
      expect(asked.isError, errorText(asked)).toBeFalsy();
      expect(asked.structuredContent).toMatchObject({ status: 'pending', approval_id: expect.stringMatching(/^ap_/) });
    } finally {
      await selfApproving.close();
    }
    // A state minted for an in_client principal's call, presented by carol with an answer: refused.
    const first = await post(alice, { arguments: { sql: BUMP, source: 'main', dry_run: false } });
    const state = (first.json.result as { requestState?: string } | undefined)?.requestState;
    expect(state).toEqual(expect.any(String));
    const forged = await post(carol, { arguments: { sql: BUMP, source: 'main', dry_run: false }, requestState: state, inputResponses: ACCEPT });
    expect(JSON.stringify(forged.json)).toMatch(/APPROVAL_INVALID: Approval inside the client is not enabled/);
    expect(valueIn(cwd)).toBe(before);
    expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'NOT_IN_CLIENT' });
  }, 60_000);

  it('accepted in the form: committed once; declined: nothing changes', async () => {
    const yes = await connected(modernClient({ answer: { action: 'accept', content: { approve: true } } }), alice);
    const no = await connected(modernClient({ answer: { action: 'decline' } }), alice);
    try {
      const before = valueIn(cwd);
      const done = await yes.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } });
      expect(done.isError, errorText(done)).toBeFalsy();
      expect(valueIn(cwd)).toBe(before + 1);

      const declined = await no.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } });
      expect(declined.isError).toBe(true);
      expect(errorText(declined)).toMatch(/^APPROVAL_INVALID: The person declined/);
      expect(valueIn(cwd)).toBe(before + 1);
    } finally {
      await yes.close();
      await no.close();
    }
  }, 60_000);

  it("another principal presenting one's state is refused and audited; its owner's retry then runs once, and a replay is refused", async () => {
    const args = { arguments: { sql: BUMP, source: 'main', dry_run: false } };
    const before = valueIn(cwd);
    const first = (await post(alice, args)).json.result as unknown as InputRequired;
    expect(first.resultType).toBe('input_required');
    expect(valueIn(cwd)).toBe(before);
    const aliceId = (audit(cwd).at(-1)?.['principal'] as { id: string }).id;

    const stolen = await post(bob, { ...args, requestState: first.requestState, inputResponses: ACCEPT });
    expect(stolen.json.result?.['isError']).toBe(true);
    expect(errorText(stolen.json.result as unknown as CallToolResult)).toMatch(/^APPROVAL_INVALID: That requestState is not valid/);
    expect(valueIn(cwd)).toBe(before);
    expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'STATE_MISMATCH' });
    const bobId = (audit(cwd).at(-1)?.['principal'] as { id: string }).id;
    expect(bobId).toMatch(/^key:/);
    expect(bobId).not.toBe(aliceId);

    // Even a state correctly signed (with the replicas' key) for bob's own call cannot decide alice's approval.
    const payload = JSON.parse(Buffer.from(first.requestState.split('.')[0] ?? '', 'base64url').toString('utf8')) as { approval_id: string; exp: number };
    const bobs = { principal: bobId, source: 'main', tool: 'execute' as const, sqlHash: hashStatement(BUMP), paramsHash: hashParams([]) };
    const forged = mintRequestState(requestStateKey({}, AUDIT_KEY), payload.approval_id, bobs, new Date(payload.exp));
    const crossed = await post(bob, { ...args, requestState: forged, inputResponses: ACCEPT });
    expect(crossed.json.result?.['isError']).toBe(true);
    expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'MISMATCH', id: payload.approval_id });
    const store = await FileApprovalStore.open(join(cwd, 'state'));
    try {
      const untouched = await store.get(payload.approval_id);
      expect(untouched?.status).toBe('pending');
      expect(untouched?.decidedBy).toBeUndefined();
    } finally {
      await store.close();
    }
    expect(valueIn(cwd)).toBe(before);

    const own = await post(alice, { ...args, requestState: first.requestState, inputResponses: ACCEPT });
    expect(own.json.result?.['isError'], JSON.stringify(own.json)).toBeFalsy();
    expect(valueIn(cwd)).toBe(before + 1);

    const replay = await post(alice, { ...args, requestState: first.requestState, inputResponses: ACCEPT });
    expect(replay.json.result?.['isError']).toBe(true);
    expect(valueIn(cwd)).toBe(before + 1);
    expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'USED' });
  }, 60_000);

  it('a second server on the same state and audit key (a replica) takes the retry and runs the change once; a replay on the first is refused', async () => {
    const replica = await startHttp([], { cwd, auth: true });
    try {
      const args = { arguments: { sql: BUMP, source: 'main', dry_run: false } };
      const before = valueIn(cwd);
      const first = (await post(alice, args)).json.result as unknown as InputRequired;
      expect(first.resultType).toBe('input_required');
      const there = await post(alice, { ...args, requestState: first.requestState, inputResponses: ACCEPT }, {}, replica.url);
      expect(there.json.result?.['isError'], JSON.stringify(there.json)).toBeFalsy();
      expect(valueIn(cwd)).toBe(before + 1);
      const back = await post(alice, { ...args, requestState: first.requestState, inputResponses: ACCEPT });
      expect(back.json.result?.['isError']).toBe(true);
      expect(valueIn(cwd)).toBe(before + 1);
      expect(refusals(cwd).at(-1)).toMatchObject({ state: 'refused', reason: 'USED' });
    } finally {
      await replica.stop();
    }
  }, 60_000);

  it('a retry whose Mcp-Name header disagrees with the body gets HeaderMismatch, and nothing runs', async () => {
    const args = { arguments: { sql: BUMP, source: 'main', dry_run: false } };
    const before = valueIn(cwd);
    const first = (await post(alice, args)).json.result as unknown as InputRequired;
    const mismatched = await post(alice, { ...args, requestState: first.requestState, inputResponses: ACCEPT }, { 'mcp-name': 'query' });
    expect(mismatched.status).toBe(400);
    expect(mismatched.json.error?.code).toBe(-32020);
    expect(mismatched.json).not.toHaveProperty('result');
    expect(valueIn(cwd)).toBe(before);
  }, 60_000);

  it('an unsupported revision on a retry is refused naming the supported one, and nothing runs', async () => {
    const args = { arguments: { sql: BUMP, source: 'main', dry_run: false } };
    const before = valueIn(cwd);
    const first = (await post(alice, args)).json.result as unknown as InputRequired;
    const old = await post(alice, { ...args, requestState: first.requestState, inputResponses: ACCEPT }, { 'mcp-protocol-version': '2099-01-01' });
    expect(old.status).toBe(400);
    expect(old.json.error?.code).toBe(-32022);
    expect(valueIn(cwd)).toBe(before);
  }, 60_000);

  it('a client without elicitation, and a 2025-era client, get the pending answer, and nothing changes', async () => {
    const plain = await connected(modernClient(), alice);
    const legacy = new LegacyClient({ name: 'approvals-2025', version: '1' }, { capabilities: { elicitation: {} } });
    await legacy.connect(new LegacyHttpTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${alice}` } } }));
    try {
      const before = valueIn(cwd);
      for (const client of [plain, legacy]) {
        const result = (await client.callTool({ name: 'execute', arguments: { sql: BUMP, source: 'main', dry_run: false } })) as CallToolResult;
        expect(result.isError, errorText(result)).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ status: 'pending', approval_id: expect.stringMatching(/^ap_/) });
      }
      expect(valueIn(cwd)).toBe(before);
    } finally {
      await plain.close();
      await legacy.close();
    }
  }, 60_000);
});
