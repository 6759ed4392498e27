import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Role } from '../authorize/roles.js';
import { toToolErrorResult } from '../errors/to-result.js';
import type { Principal, ServerContext } from '../session/context.js';

export interface ToolCall {
  readonly ctx: ServerContext;
  readonly principal: Principal;
  /** The principal's role, resolved when the session opened. */
  readonly role: Role;
}

/**
 * Wraps a tool body so nothing it throws reaches the SDK's generic handler (which
 * would send the raw message to the client): every failure is mapped once, here.
 */
export function guardedTool<A>(
  name: string,
  call: ToolCall,
  body: (args: A) => Promise<CallToolResult>,
): (args: A) => Promise<CallToolResult> {
  return async (args: A) => {
    try {
      return await body(args);
    } catch (error) {
      return toToolErrorResult(error, call.ctx.log, { tool: name, principal: call.principal.id });
    }
  };
}
