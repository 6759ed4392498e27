import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { authorizeRead } from '../authorize/statement.js';
import { BastionError } from '../errors/codes.js';
import type { ReadTool } from '../guard/sql/policy.js';
import { applyMasks } from '../shape/mask.js';
import { rowsResult } from '../shape/result.js';
import type { ParamValue, ReadResult } from '../sources/source.js';
import { guardedTool, type ToolCall } from './run.js';
import { paramsArg, rowsOutput, sourceArg, sqlArg } from './schemas.js';

interface ReadArgs {
  source?: string | undefined;
  sql: string;
  params?: ParamValue[] | undefined;
  max_rows?: number | undefined;
}

/** policy → source → caps: the read path shared by query and explain. */
export async function runRead(call: ToolCall, tool: ReadTool, args: ReadArgs): Promise<ReadResult> {
  const { ctx } = call;
  const entry = ctx.sources.resolve(args.source, call.role);
  const checked = entry.guard.checkRead(args.sql, tool);
  const masks = await authorizeRead(call.role, checked, entry.catalog);
  const params = args.params ?? [];
  if (params.length !== checked.paramCount) {
    throw new BastionError(
      'INVALID_ARGUMENT',
      `The statement uses ${checked.paramCount} parameter${checked.paramCount === 1 ? '' : 's'} but ${params.length} ${params.length === 1 ? 'was' : 'were'} given.`,
    );
  }
  const limits = ctx.config.limits;
  const result = await entry.source.read({
    sql: checked.sql,
    params,
    maxRows: Math.min(args.max_rows ?? limits.max_rows, limits.max_rows),
    maxBytes: limits.max_bytes,
  });
  return applyMasks(result, masks);
}

export function registerQuery(server: McpServer, call: ToolCall): RegisteredTool {
  const cap = call.ctx.config.limits.max_rows;
  return server.registerTool(
    'query',
    {
      title: 'Run a read-only query',
      description:
        'Runs exactly one read-only statement (SELECT, VALUES or TABLE) with optional parameters ($1..$n on PostgreSQL, ? on MySQL and SQLite). ' +
        'Results are capped in rows and bytes; truncated=true says a cap was hit.',
      inputSchema: {
        source: sourceArg,
        sql: sqlArg,
        params: paramsArg,
        max_rows: z.number().int().positive().max(cap).optional().describe(`At most ${cap}.`),
      },
      outputSchema: rowsOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guardedTool('query', call, async (args: ReadArgs) => rowsResult(await runRead(call, 'query', args))),
  );
}
