import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerDescribeTable } from './describe-table.js';
import { registerExplain } from './explain.js';
import { registerListSchemas } from './list-schemas.js';
import { registerListSources } from './list-sources.js';
import { registerListTables } from './list-tables.js';
import { registerQuery } from './query.js';
import type { ToolCall } from './run.js';

/** Registers the read tools. Their names and arguments are part of the public contract. */
export function registerReadTools(server: McpServer, call: ToolCall): void {
  registerListSources(server, call);
  registerListSchemas(server, call);
  registerListTables(server, call);
  registerDescribeTable(server, call);
  registerQuery(server, call);
  registerExplain(server, call);
}
