/**
 * A tool's contract (zod schemas, listed JSON Schema) is built once per role, not once
 * per MCP server: a 2026-07-28 HTTP request builds a server of its own. The cache never
 * hands one role's contract to another (the write tools name the role's sources). A server
 * built for one tool call gets the same contract for dispatch without listing anything.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Role } from '../../src/authorize/roles.js';
import type { ToolCall } from '../../src/session/context.js';
import { dispatchOnly, registerDefined, type ToolConfig } from '../../src/tools/define.js';

const server = (): McpServer => new McpServer({ name: 't', version: '1' }, { capabilities: { tools: {} } });
const callFor = (role: object): ToolCall => ({ role: role as Role }) as ToolCall;
const handler = async (): Promise<{ content: [] }> => ({ content: [] });

function config(description: string): ToolConfig {
  return {
    title: 'Tool',
    description,
    inputSchema: { sql: z.string() },
    outputSchema: { n: z.number() },
    annotations: { readOnlyHint: true },
  };
}

describe('registerDefined', () => {
  it('builds a role’s contract once and gives every server of that role the same schemas and listed output schema', () => {
    const call = callFor({});
    const build = vi.fn(() => config('reads'));
    const first = registerDefined(server(), call, 'query', build, handler);
    const second = registerDefined(server(), call, 'query', build, handler);
    expect(build).toHaveBeenCalledTimes(1);
    expect(second.inputSchema).toBe(first.inputSchema);
    expect(second.outputSchema).toBe(first.outputSchema);
    expect(second.outputSchemaJson).toBe(first.outputSchemaJson);
    expect(second.outputSchemaJson).toMatchObject({ type: 'object', properties: { n: { type: 'number' } } });
  });

  it('never serves one role’s contract to another role', () => {
    const a = registerDefined(server(), callFor({}), 'execute', () => config('writes on sales'), handler);
    const b = registerDefined(server(), callFor({}), 'execute', () => config('writes on hr'), handler);
    expect(a.description).toBe('writes on sales');
    expect(b.description).toBe('writes on hr');
    expect(b.inputSchema).not.toBe(a.inputSchema);
  });

  it('a dispatch-only server gets the contract, handler and output JSON Schema a listing server registers, and lists nothing', async () => {
    const call = callFor({});
    const listed = registerDefined(server(), call, 'query', () => config('reads'), handler);
    const onlyCalls = server();
    dispatchOnly(onlyCalls);
    const dispatched = registerDefined(onlyCalls, call, 'query', () => config('reads'), handler);
    expect(dispatched.inputSchema).toBe(listed.inputSchema);
    expect(dispatched.outputSchema).toBe(listed.outputSchema);
    expect(dispatched.outputSchemaJson).toEqual(listed.outputSchemaJson);
    expect(dispatched.handler).toBe(handler);
    expect(onlyCalls.toolInputSchemaJson('query')).toBeUndefined();
    expect(() => dispatched.update({ enabled: true })).toThrow(/not registered/);
    // Only the marked server: another server of the same role still registers and lists.
    const later = server();
    registerDefined(later, call, 'query', () => config('reads'), handler);
    expect(later.toolInputSchemaJson('query')).toMatchObject({ type: 'object' });
  });

  it('a dispatch-only server still registers a tool that mirrors an argument in an Mcp-Param header, so the SDK checks that header', () => {
    const onlyCalls = server();
    dispatchOnly(onlyCalls);
    const mirrored = (): ToolConfig => ({ ...config('reads'), inputSchema: { source: z.string().meta({ 'x-mcp-header': 'Source' }) } });
    registerDefined(onlyCalls, callFor({}), 'query', mirrored, handler);
    expect(JSON.stringify(onlyCalls.toolInputSchemaJson('query'))).toContain('x-mcp-header');
  });
});
