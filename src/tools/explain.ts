import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import type { ParamValue } from '../engine/source.js';
import { readCaps, rowsResult } from '../shape/result.js';
import { runRead } from './query.js';
import { guardedTool } from './run.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';
import { paramsArg, rowsOutput, sourceArg, sqlArg } from './schemas.js';

export function registerExplain(server: McpServer, call: ToolCall): RegisteredTool {
  return registerDefined(
    server,
    call,
    'explain',
    () => ({
      title: 'Explain a query plan',
      description:
        'Shows the plan of one read-only statement without running it. Write "EXPLAIN SELECT ..." ' +
        '(options such as FORMAT JSON or VERBOSE are allowed; ANALYZE is not).',
      inputSchema: { source: sourceArg, sql: sqlArg, params: paramsArg },
      outputSchema: rowsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    }),
    guardedTool('explain', call, async (args: { source?: string | undefined; sql: string; params?: ParamValue[] | undefined }, state, extra) =>
      rowsResult(await runRead(call, 'explain', args, state, extra), readCaps(call.ctx.config.limits), 'explain'),
    ),
  );
}
