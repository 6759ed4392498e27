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

/** The source a call will use, for the per-source limit: named, or the only visible one. */
function sourceOf(call: ToolCall, args: unknown): string | undefined {
  const named = (args as { source?: unknown } | undefined)?.source;
  if (typeof named === 'string') return named;
  const visible = call.ctx.sources.list(call.role);
  return visible.length === 1 ? visible[0]?.name : undefined;
}

/**
 * Wraps a tool body: the rate-limit stage first, then the body; nothing it throws
 * reaches the SDK's generic handler (which would send the raw message to the
 * client): every failure is mapped once, here.
 */
export function guardedTool<A>(
  name: string,
  call: ToolCall,
  body: (args: A) => Promise<CallToolResult>,
): (args: A) => Promise<CallToolResult> {
  return async (args: A) => {
    try {
      await call.ctx.limiter.consumeCall({ principal: call.principal, tool: name, source: sourceOf(call, args) });
      return await body(args);
    } catch (error) {
      return toToolErrorResult(error, call.ctx.log, { tool: name, principal: call.principal.id });
    }
  };
}
