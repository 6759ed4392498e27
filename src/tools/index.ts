import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { registerDescribeTable } from './describe-table.js';
import { dispatchCalls } from './dispatch.js';
import { registerExplain } from './explain.js';
import { registerListSchemas } from './list-schemas.js';
import { registerListSources } from './list-sources.js';
import { registerListTables } from './list-tables.js';
import { registerQuery } from './query.js';
import type { ToolCall } from '../session/context.js';
import { registerWriteTools } from './write-tools.js';

const READ_TOOLS: Record<string, (server: McpServer, call: ToolCall) => RegisteredTool> = {
  list_sources: registerListSources,
  list_schemas: registerListSchemas,
  list_tables: registerListTables,
  describe_table: registerDescribeTable,
  query: registerQuery,
  explain: registerExplain,
};

/**
 * Registers the tools the caller's role allows, and only those: a tool the role may
 * not use is not listed, and a call to it is refused and audited. The write tools
 * exist only where a source the role sees has writes enabled, the file tools only
 * where files.roots is configured (the context loads them at start-up then). Names
 * and arguments are part of the public contract.
 */
export function registerTools(server: McpServer, call: ToolCall): void {
  const tools = new Map<string, RegisteredTool>();
  for (const [name, register] of Object.entries(READ_TOOLS)) {
    if (call.role.tool(name)) tools.set(name, register(server, call));
  }
  for (const [name, tool] of registerWriteTools(server, call)) tools.set(name, tool);
  for (const [name, tool] of call.ctx.fileTools?.(server, call) ?? []) tools.set(name, tool);
  dispatchCalls(server, call, tools);
}
