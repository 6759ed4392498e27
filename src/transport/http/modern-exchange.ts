import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { classifyInboundRequest, createMcpHandler, type AuthInfo, type JSONRPCMessage, type McpServer } from '@modelcontextprotocol/server';
import type { Principal } from '../../auth/identity/principal.js';
import type { Logger } from '../../log/logger.js';

/**
 * The protocol revisions served on the 2026-07-28 path (the SDK's modern list, which it
 * keeps internal; a test pins this against what `server/discover` answers).
 */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28'];

/**
 * Headers the SDK's modern path reads, and the W3C trace context a tool call continues
 * (the handler sees them as `ctx.http.req`); credentials and cookies are never handed on.
 */
const FORWARDED_HEADERS = /^(?:content-type|accept|mcp-protocol-version|mcp-method|mcp-name|mcp-param-.+|traceparent|tracestate)$/;

/**
 * Whether a JSON-RPC message POSTed to /mcp belongs to the 2026-07-28 era: it carries the
 * per-request `_meta` envelope, or names a modern revision in its headers. The SDK's own
 * classifier decides, so this routing never disagrees with the path that serves it; what
 * it calls `legacy` goes to a 2025 session, everything else (its rejections included) to
 * the modern path, which answers them.
 */
export function isModernRequest(req: IncomingMessage, message: JSONRPCMessage): boolean {
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: single(req.headers['mcp-protocol-version']),
    mcpMethodHeader: single(req.headers['mcp-method']),
    mcpNameHeader: single(req.headers['mcp-name']),
    body: message,
  });
  return outcome.kind !== 'legacy';
}

/** Serves one 2026-07-28 request for an authenticated principal, on its own response. */
export interface ModernExchange {
  serve(req: IncomingMessage, res: ServerResponse, principal: Principal, message: JSONRPCMessage): Promise<void>;
  close(): Promise<void>;
}

/**
 * The 2026-07-28 leg of /mcp: the SDK's per-request serving (`createMcpHandler`, modern
 * only) under Bastion's node:http transport. By the time a request gets here the
 * transport has checked Host/Origin, CORS, authentication (every stateless request
 * authenticates on its own), the body size and depth, and the tool's scope; the SDK then
 * checks the envelope, the protocol version (UnsupportedProtocolVersion lists the served
 * ones), the Mcp-Method/Mcp-Name headers against the body (HeaderMismatch) and the
 * declared client capabilities, and runs the request on a server built for this principal
 * alone. Nothing in `_meta` reaches the principal: it comes from the credential only.
 */
export function createModernExchange(options: {
  createServer: (principal: Principal) => McpServer;
  maxBodyBytes: number;
  log: Logger;
}): ModernExchange {
  // The principal rides on the AuthInfo object the transport made, which the SDK passes
  // through untouched and never builds from request headers.
  const principals = new WeakMap<AuthInfo, Principal>();
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const principal = authInfo === undefined ? undefined : principals.get(authInfo);
      if (principal === undefined) throw new Error('a 2026-07-28 request reached the SDK without an authenticated principal');
      return options.createServer(principal);
    },
    {
      legacy: 'reject',
      maxRequestBodySize: options.maxBodyBytes,
      onerror: (error) => options.log.debug({ err: error.message }, 'MCP 2026-07-28 request refused or failed'),
    },
  );

  return {
    async serve(req, res, principal, message) {
      const authInfo: AuthInfo = { token: '', clientId: principal.id, scopes: [...principal.scopes] };
      principals.set(authInfo, principal);
      const abort = new AbortController();
      const onClose = (): void => {
        if (!res.writableFinished) abort.abort();
      };
      res.once('close', onClose);
      const request = new Request('http://bastion.invalid/mcp', { method: 'POST', headers: forwardedHeaders(req), signal: abort.signal });
      const response = await handler.fetch(request, { authInfo, parsedBody: message });
      await writeResponse(res, response);
    },
    close: () => handler.close(),
  };
}

/** The web Response of the SDK written to node:http: a JSON body at once, an event stream as it comes. */
async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.writableEnded || res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (response.body === null) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (!(headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const body = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers).end(body);
    return;
  }
  res.writeHead(response.status, headers);
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res).catch(() => undefined);
}

function forwardedHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || !FORWARDED_HEADERS.test(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
