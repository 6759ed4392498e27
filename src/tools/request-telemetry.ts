import { performance } from 'node:perf_hooks';
import type { JSONRPCRequest, McpServer, Result, ServerContext as RequestContext } from '@modelcontextprotocol/server';
import { toolLabel } from '../metrics/metrics.js';
import type { ServerContext } from '../session/context.js';
import type { CallTracer, RequestMeter } from '../telemetry/index.js';
import { callExtra } from './dispatch.js';
import { printableTool } from './run.js';

type Handler = (request: JSONRPCRequest, context: RequestContext) => Promise<Result>;

/**
 * The SDK's own seam around every request handler it stores (`Protocol._wrapHandler`, which
 * `Server` already uses for its checks) and the handlers stored before this runs (initialize,
 * server/discover, ping): internals of @modelcontextprotocol/server 2.x, so their shape is
 * checked before use, and test/e2e/telemetry.test.ts fails if an update moves them.
 */
interface HandlerSeam {
  _wrapHandler(method: string, handler: Handler): Handler;
  _requestHandlers: Map<string, Handler>;
}

/** What a protocol revision looks like (2025-06-18, 2026-07-28); anything else is left out. */
const PROTOCOL_VERSION = /^[0-9A-Za-z.-]{1,32}$/;

/**
 * Every MCP request the server answers, on both eras and both transports: a server span
 * (tools/call has its own, with its stages, in run.ts) and the mcp.server.operation.duration
 * metric. With telemetry off this installs nothing, so a request pays nothing for it.
 */
export function instrumentRequests(server: McpServer, ctx: ServerContext): void {
  const { tracer, meter } = ctx;
  if (tracer === undefined && meter === undefined) return;
  const seam = server.server as unknown as Partial<HandlerSeam>;
  if (typeof seam._wrapHandler !== 'function' || !(seam._requestHandlers instanceof Map)) {
    ctx.log.warn('telemetry: this MCP SDK has no handler seam Bastion knows; only tools/call is traced and no operation duration is recorded');
    return;
  }
  const wrap = seam._wrapHandler.bind(server.server);
  const negotiated = (): string | undefined => server.server.getNegotiatedProtocolVersion();
  seam._wrapHandler = (method, handler) => observed(method, wrap(method, handler), tracer, meter, negotiated);
  for (const [method, handler] of seam._requestHandlers) seam._requestHandlers.set(method, observed(method, handler, tracer, meter, negotiated));
}

function observed(method: string, handler: Handler, tracer: CallTracer | undefined, meter: RequestMeter | undefined, negotiated: () => string | undefined): Handler {
  return async (request, context) => {
    const started = performance.now();
    const extra = callExtra(context);
    const named = extra.protocolVersion ?? extra.headers?.['mcp-protocol-version'];
    let span =
      method === 'tools/call'
        ? undefined
        : tracer?.startRequest({ method, tool: '', requestId: extra.requestId, sessionId: extra.sessionId, protocolVersion: extra.protocolVersion, meta: extra._meta, headers: extra.headers });
    let errorType: string | undefined;
    try {
      const result = await handler(request, context);
      if (method === 'tools/call' && (result as { isError?: unknown }).isError === true) errorType = 'tool_error';
      return result;
    } catch (error) {
      errorType = errorTypeOf(error);
      // A tools/call the SDK refused before Bastion's handler ran (that handler answers every failure itself): its own span.
      if (method === 'tools/call' && tracer !== undefined) {
        const name = toolName(request);
        const refused = { method, tool: name === '' ? '' : printableTool(name), requestId: extra.requestId, sessionId: extra.sessionId, protocolVersion: extra.protocolVersion, meta: extra._meta, headers: extra.headers };
        span = tracer.startRequest(refused, performance.timeOrigin + started);
      }
      throw error;
    } finally {
      const version = named ?? negotiated();
      span?.end(errorType, version);
      meter?.recordOperation(
        {
          method,
          tool: method === 'tools/call' ? toolLabel(toolName(request)) : undefined,
          errorType,
          transport: extra.headers === undefined ? 'pipe' : 'tcp',
          protocolVersion: version !== undefined && PROTOCOL_VERSION.test(version) ? version : undefined,
        },
        (performance.now() - started) / 1000,
      );
    }
  };
}

function toolName(request: JSONRPCRequest): string {
  const name = (request.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : '';
}

/** What the SDK answers a handler's error without a code with: JSON-RPC internal error. */
const INTERNAL_ERROR = -32603;

/** The conventions' error.type for a JSON-RPC error: the code the SDK answers with, as a string; never its message. */
function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return String(typeof code === 'number' && Number.isSafeInteger(code) ? code : INTERNAL_ERROR);
}
