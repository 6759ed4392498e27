import { CLIENT_CAPABILITIES_META_KEY, isInputRequiredResult, PROTOCOL_VERSION_META_KEY, type McpServer, type RegisteredTool, type ServerContext as RequestContext } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { BastionError } from '../errors/codes.js';
import { refusedCall, type CallExtra, type ToolAnswer } from './run.js';
import { argumentsSchema } from './define.js';
import type { ToolCall } from '../session/context.js';

type Handler = (args: unknown, extra: CallExtra) => Promise<ToolAnswer>;

/**
 * Takes over `tools/call` from the SDK so that every call reaches the audit: the
 * SDK answers an unknown tool or arguments that fail the schema by itself, before
 * any tool code runs. Here those are refused with a closed error code and recorded;
 * valid calls go to the tool's guarded handler. The same handler serves both
 * protocol eras: the SDK's request context is reduced here to what a tool uses.
 */
export function dispatchCalls(server: McpServer, call: ToolCall, tools: ReadonlyMap<string, RegisteredTool>): void {
  server.server.setRequestHandler('tools/call', async (request, context) => {
    const { name, arguments: args } = request.params;
    const extra = callExtra(context);
    const tool = tools.get(name);
    if (tool === undefined) {
      return refusedCall(call, name, args, new BastionError('TOOL_NOT_ALLOWED', 'No such tool is available to you.'), extra);
    }
    // Every tool is registered with its arguments schema (define.ts); one without is never called unchecked.
    const schema = argumentsSchema(tool.inputSchema);
    if (schema === undefined) return refusedCall(call, name, args, new BastionError('INTERNAL', 'The tool has no arguments schema.'), extra);
    const checked = schema.safeParse(args ?? {});
    if (!checked.success) return refusedCall(call, name, args, new BastionError('INVALID_ARGUMENT', describeIssues(checked.error)), extra);
    const result = await (tool.handler as Handler)(checked.data, extra);
    // A write asking for a person's answer (2026-07-28 only: see write-tools.ts) goes out as it is.
    if (isInputRequiredResult(result)) return result;
    // The era's own shape of a tool result (the SDK's wire codec), as its built-in handler does.
    return server.server.projectCallToolResult(result, tool.outputSchemaJson);
  });
}

/**
 * What a tool body uses of the SDK's request context: the session, cancellation, the
 * progress token and a way to send progress; and for its trace, the request id, `_meta`
 * (traceparent, tracestate), the envelope's protocol version and the HTTP request's trace
 * headers. The HTTP transports hand the SDK a request with only those headers
 * (session-transport.ts, modern-exchange.ts); only TRACE_HEADERS are read here all the same.
 */
export function callExtra(context: RequestContext): CallExtra {
  const envelope = context.mcpReq.envelope as Readonly<Record<string, unknown>> | undefined;
  const version = envelope?.[PROTOCOL_VERSION_META_KEY];
  const modern = typeof version === 'string';
  const state = modern ? context.mcpReq.requestState() : undefined;
  let headers: Record<string, string | undefined> | undefined | null = null;
  return {
    sessionId: context.sessionId,
    requestId: context.mcpReq.id,
    signal: context.mcpReq.signal,
    _meta: context.mcpReq._meta,
    protocolVersion: typeof version === 'string' ? version : undefined,
    // Read only by a trace (web Headers lookups cost a few microseconds each): on first use.
    get headers() {
      if (headers === null) headers = traceHeaders(context.http?.req?.headers);
      return headers;
    },
    // Nothing of a cancelled request leaves: its id may already name a later request on a
    // long-lived server (modern-servers.ts), whose response must carry only its own progress.
    sendNotification: (notification) => (context.mcpReq.signal.aborted ? Promise.resolve() : context.mcpReq.notify(notification)),
    elicitationInBand: modern && formElicitation(envelope?.[CLIENT_CAPABILITIES_META_KEY]),
    requestState: typeof state === 'string' ? state : undefined,
    inputResponses: modern ? context.mcpReq.inputResponses : undefined,
  };
}

/**
 * Whether declared client capabilities include form-mode elicitation: `elicitation: {}`
 * (form, as in 2025) or `elicitation: { form: {} }`; URL mode alone is not a form.
 */
function formElicitation(capabilities: unknown): boolean {
  if (typeof capabilities !== 'object' || capabilities === null) return false;
  const elicitation = (capabilities as { elicitation?: unknown }).elicitation;
  if (typeof elicitation !== 'object' || elicitation === null) return false;
  const modes = elicitation as { form?: unknown; url?: unknown };
  return modes.form !== undefined || modes.url === undefined;
}

/** The request headers a call's trace reads: never credentials or cookies. */
const TRACE_HEADERS = ['traceparent', 'tracestate', 'mcp-protocol-version'] as const;

function traceHeaders(headers: Headers | undefined): Record<string, string | undefined> | undefined {
  if (headers === undefined) return undefined;
  const picked: Record<string, string | undefined> = {};
  for (const name of TRACE_HEADERS) picked[name] = headers.get(name) ?? undefined;
  return picked;
}

/** zod's issues as one line: where and what, never the value that was sent. */
function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 5).map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'arguments'}: ${issue.message}`);
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '';
  return `Invalid arguments: ${issues.join('; ')}${more}.`;
}
