import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { closeContext, contextFor } from '../../src/app.js';
import { auditChainDir } from '../../src/audit/chains.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import type { Principal, ServerContext } from '../../src/session/context.js';
import { createSessionServer } from '../../src/tools/session-server.js';

export interface TestBastion {
  ctx: ServerContext;
  /**
   * The folder of this server's audit chain (`audit.jsonl`, `audit.head`): its instance's
   * folder in the audit folder, a fresh temp folder unless the config names one. With
   * audit off, the audit folder itself.
   */
  auditDir: string;
  client: Client;
  /** Calls a tool through the whole MCP pipeline. */
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** A Bastion server in this process, reached by the official SDK client over an in-memory transport. */
export async function startBastion(raw: Record<string, unknown>, principal: Principal = { id: 'test', kind: 'local', role: 'admin', scopes: [] }): Promise<TestBastion> {
  // Suites make hundreds of calls; the rate-limit stage has its own tests.
  // Each server has its own temp folder: no state shared between tests.
  const ownDir = mkdtempSync(join(tmpdir(), 'bastion-test-audit-'));
  const rawAudit = (raw['audit'] ?? {}) as Record<string, unknown>;
  const rawState = (raw['state'] ?? {}) as Record<string, unknown>;
  const config: BastionConfig = configSchema.parse({
    rate_limits: { per_principal_per_minute: 1_000_000 },
    ...raw,
    // State (approvals, keys) and the audit log in the temp folder, never in the repository.
    state: { dir: ownDir, ...rawState },
    audit: { dir: ownDir, ...rawAudit },
  });
  const ctx = await contextFor(config, createLogger('silent'));
  const auditDir = ctx.audit.enabled ? auditChainDir(config.audit.dir ?? ownDir, ctx.audit.instance) : (config.audit.dir ?? ownDir);
  const session = await openSession(ctx, principal);
  return {
    ctx,
    auditDir,
    client: session.client,
    call: session.call,
    async close() {
      await session.close();
      await closeContext(ctx);
      rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

/** A session of its own on a running server's context, as `principal`, through the SDK client. */
export async function openSession(
  ctx: ServerContext,
  principal: Principal,
): Promise<{ client: Client; call: TestBastion['call']; close(): Promise<void> }> {
  const server = createSessionServer(ctx, principal);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bastion-test', version: '1' });
  await client.connect(clientSide);
  return {
    client,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

export function errorCode(result: CallToolResult): string | undefined {
  if (!result.isError) return undefined;
  const first = result.content[0];
  const text = first && first.type === 'text' ? first.text : '';
  // The SDK answers a schema violation itself, before any Bastion code runs.
  if (text.includes('Input validation error')) return 'INVALID_ARGUMENT';
  return /^([A-Z_]+):/.exec(text)?.[1];
}

export function rowsOf(result: CallToolResult): unknown[][] {
  if (result.isError) {
    const first = result.content[0];
    throw new Error(`tool failed: ${first && first.type === 'text' ? first.text : '?'}`);
  }
  return (result.structuredContent as { rows: unknown[][] }).rows;
}
