import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  classifyInboundRequest,
  createMcpHandler,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJsonContentType,
  PROTOCOL_VERSION_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
  type AuthInfo,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type McpServer,
} from '@modelcontextprotocol/server';
import type { Principal } from '../../auth/identity/principal.js';
import { whenClientGone } from './client-gone.js';
import type { Logger } from '../../log/logger.js';
import { ModernServers } from './modern-servers.js';

/**
 * The protocol revisions served on the 2026-07-28 path (the SDK's modern list, which it
 * keeps internal; a test pins this against what `server/discover` answers).
 */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28'];

/** The URL of the web Request handed to the SDK (it reads the method and headers, never the URL), parsed once. */
const ENDPOINT = new URL('http://bastion.invalid/mcp');

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
 * the modern path, which answers them. Two shapes that make up nearly all traffic are
 * answered without it, each only where its rules leave a single answer (see eraWithoutClassifier).
 */
export function isModernRequest(req: IncomingMessage, message: JSONRPCMessage): boolean {
  const protocolVersionHeader = single(req.headers['mcp-protocol-version']);
  const known = eraWithoutClassifier(protocolVersionHeader, message);
  if (known !== undefined) return known === 'modern';
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader,
    mcpMethodHeader: single(req.headers['mcp-method']),
    mcpNameHeader: single(req.headers['mcp-name']),
    body: message,
  });
  return outcome.kind !== 'legacy';
}

/**
 * The era of a request or notification whose routing the SDK's classifier
 * (`classifyInboundRequest`) leaves no choice about; undefined for anything else, which it
 * then classifies. Neither shape has a `result` or `error` member, so the classifier's first
 * tests (a posted response, both strict schemas with those members required) fail, and:
 * - `modern`: a message other than `initialize` whose `params._meta` carries the envelope
 *   claim (the protocol-version key) is served or refused by the modern path, never legacy;
 * - `legacy`: a valid JSON-RPC request or notification (the SDK's own schema checks) with no
 *   claim, under no header or a 2025 revision's, is legacy, `initialize` included.
 * test/transport/modern-routing.test.ts holds this to the classifier.
 */
function eraWithoutClassifier(protocolVersionHeader: string | undefined, message: JSONRPCMessage): 'modern' | 'legacy' | undefined {
  if (!('method' in message) || 'result' in message || 'error' in message) return undefined;
  const params: unknown = message.params;
  const meta = isPlainObject(params) ? params['_meta'] : undefined;
  if (isPlainObject(meta) && PROTOCOL_VERSION_META_KEY in meta) return message.method === 'initialize' ? undefined : 'modern';
  if (protocolVersionHeader !== undefined && (!SUPPORTED_PROTOCOL_VERSIONS.includes(protocolVersionHeader) || MODERN_PROTOCOL_VERSIONS.includes(protocolVersionHeader))) return undefined;
  return isJSONRPCRequest(message) || isJSONRPCNotification(message) ? 'legacy' : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What a 2026-07-28 server is for: `toolCallOnly` when it only answers tools/call, so it need
 * not be able to list its tools (see createSessionServer); `protocolVersions` for a principal's
 * long-lived server (modern-servers.ts), which must list the revision it is bound to among the
 * versions it supports (the SDK's per-request entry adds it to a server of its own).
 */
export interface ServerUse {
  readonly toolCallOnly: boolean;
  readonly protocolVersions?: readonly string[] | undefined;
  /** Calls of several clients of the principal run on it (a long-lived server): it names no session of its own. */
  readonly sharedByClients?: boolean | undefined;
  /** The endpoint counted the request against the principal's rate limit as it arrived (every 2026-07-28 request). */
  readonly principalCounted?: boolean | undefined;
}

/** Serves one 2026-07-28 request for an authenticated principal, on its own response. */
export interface ModernExchange {
  serve(req: IncomingMessage, res: ServerResponse, principal: Principal, message: JSONRPCMessage, use: ServerUse): Promise<void>;
  /** Principals' long-lived servers open now (modern-servers.ts). */
  readonly longLivedServers: number;
  close(): Promise<void>;
}

/**
 * The 2026-07-28 leg of /mcp under Bastion's node:http transport. By the time a request gets
 * here the transport has checked Host/Origin, CORS, authentication (every stateless request
 * authenticates on its own), the body size and depth, and the tool's scope. A plain tool call
 * (plainToolCall: one that passes every check of the SDK's entry as it stands) then runs on a
 * server its principal keeps (modern-servers.ts); every other request takes the SDK's
 * per-request serving (`createMcpHandler`, modern only), which checks the envelope, the
 * protocol version (UnsupportedProtocolVersion lists the served ones), the Mcp-Method/Mcp-Name
 * headers against the body (HeaderMismatch) and the declared client capabilities, and runs the
 * request on a server built for this principal alone. Nothing in `_meta` reaches the
 * principal: it comes from the credential only.
 */
export function createModernExchange(options: {
  createServer: (principal: Principal, use: ServerUse) => McpServer;
  maxBodyBytes: number;
  log: Logger;
  /** How many long-lived servers may be kept at once, for all principals (default 256); 0 serves every request the per-request way. */
  maxLongLivedServers?: number | undefined;
}): ModernExchange {
  // The principal rides on the AuthInfo object the transport made, which the SDK passes
  // through untouched and never builds from request headers; with it, what the request is.
  const exchanges = new WeakMap<AuthInfo, { readonly principal: Principal; readonly use: ServerUse }>();
  /** Answers of the per-request path still being written (an event stream, until it ends). */
  const responses = new Set<Promise<void>>();
  const longLived = new ModernServers(SERVED_REVISION, options.maxLongLivedServers ?? 256, (principal) =>
    options.createServer(principal, {
      toolCallOnly: true,
      protocolVersions: [...SUPPORTED_PROTOCOL_VERSIONS, SERVED_REVISION],
      sharedByClients: true,
      principalCounted: true,
    }),
  );
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const exchange = authInfo === undefined ? undefined : exchanges.get(authInfo);
      if (exchange === undefined) throw new Error('a 2026-07-28 request reached the SDK without an authenticated principal');
      return options.createServer(exchange.principal, { ...exchange.use, principalCounted: true });
    },
    {
      legacy: 'reject',
      maxRequestBodySize: options.maxBodyBytes,
      onerror: (error) => options.log.debug({ err: error.message }, 'MCP 2026-07-28 request refused or failed'),
    },
  );

  return {
    async serve(req, res, principal, message, use) {
      const tool = use.toolCallOnly ? plainToolCall(req, message) : undefined;
      if (tool !== undefined && (await longLived.serve(req, res, principal, tool.message, tool.name))) return;
      const authInfo: AuthInfo = { token: '', clientId: principal.id, scopes: [...principal.scopes] };
      exchanges.set(authInfo, { principal, use });
      const abort = new AbortController();
      whenClientGone(req, res, () => abort.abort());
      const request = new ExchangeRequest(forwardedHeaders(req), abort.signal);
      const response = await handler.fetch(request, { authInfo, parsedBody: message });
      const writing = writeResponse(res, response);
      responses.add(writing);
      await writing.finally(() => responses.delete(writing));
    },
    get longLivedServers() {
      return longLived.size;
    },
    close: async () => {
      await longLived.close();
      await handler.close();
      // The SDK has ended its open event streams; they are written out before the connections
      // close, so a stream cut off by the shutdown ends cleanly, as a kept server's does.
      await Promise.race([Promise.allSettled([...responses]), new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
    },
  };
}

/** How long closing waits for the per-request path's event streams to be written out. */
const DRAIN_MS = 2000;

/** The one 2026-07-28 revision served (the SDK's modern list has one; a second needs a server per revision). */
const SERVED_REVISION = MODERN_PROTOCOL_VERSIONS[0] as string;

/** A tool name that reads the same in the Mcp-Name header and in the body: no space, `=` or `?` (the header's Base64 form starts `=?`). */
const PLAIN_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * A tools/call that the SDK's per-request entry (`createMcpHandler` → `serveModern`) would pass
 * to dispatch without a word, so a principal's long-lived server may answer it; undefined for
 * anything else, which takes the per-request path and gets the entry's own answer. Each rung
 * of the entry is met here by the plainest case only:
 * - media type: JSON (isJsonContentType, the entry's own test);
 * - era: the SDK's classifier calls it a modern request whose envelope names the served revision
 *   (the envelope is valid; header and body agree on version and method);
 * - standard headers: MCP-Protocol-Version names that revision, Mcp-Method is `tools/call` and
 *   Mcp-Name is the tool's name itself (a plain name, so no Base64 form and no trimming);
 * - client capabilities: tools/call requires none (the SDK's table names no method);
 * - `x-mcp-header` parameters: only a tool that declares none is taken (ModernServers.serve);
 * - scope challenges: Bastion's servers declare none (scopes are checked by the endpoint).
 * test/transport/modern-long-lived.test.ts holds both paths to the same answers.
 */
function plainToolCall(req: IncomingMessage, message: JSONRPCMessage): { message: JSONRPCRequest; name: string } | undefined {
  if (!isJSONRPCRequest(message) || message.method !== 'tools/call') return undefined;
  const name = (message.params as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !PLAIN_TOOL_NAME.test(name)) return undefined;
  const { headers } = req;
  if (!isJsonContentType(single(headers['content-type']) ?? null)) return undefined;
  if (headers['mcp-protocol-version'] !== SERVED_REVISION || headers['mcp-method'] !== 'tools/call' || headers['mcp-name'] !== name) return undefined;
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: SERVED_REVISION,
    mcpMethodHeader: 'tools/call',
    mcpNameHeader: name,
    body: message,
  });
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request' || outcome.classification.revision !== SERVED_REVISION) return undefined;
  return { message, name };
}

/**
 * The web Request handed to the SDK: the forwarded headers, and as its signal the one that
 * aborts when the client goes away (the SDK then closes the exchange, which aborts the
 * handler). The signal is this request's own rather than one the Request follows through
 * its init, which costs an abort listener and a finalization registration per request.
 */
class ExchangeRequest extends Request {
  readonly #signal: AbortSignal;

  constructor(headers: Headers, signal: AbortSignal) {
    super(ENDPOINT, { method: 'POST', headers });
    this.#signal = signal;
  }

  static {
    // The platform declares `signal` a property (TypeScript refuses an accessor override), so it is defined here.
    Object.defineProperty(ExchangeRequest.prototype, 'signal', {
      get(this: ExchangeRequest): AbortSignal {
        return this.#signal;
      },
    });
  }
}

/** Hop-by-hop headers: node:http decides them for its own connection, as it does for a kept server's answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/** The web Response of the SDK written to node:http: a JSON body at once, an event stream as it comes. */
async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.writableEnded || res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  });
  if (response.body === null) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (!(headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const body = await bodyBytes(response.body);
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers).end(body);
    return;
  }
  res.writeHead(response.status, headers);
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res).catch(() => undefined);
}

/**
 * A whole JSON body, read straight off its stream: the SDK enqueues it as one chunk, and
 * the reader skips the copy and the extra promise turns of `arrayBuffer()`.
 */
async function bodyBytes(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const reader = body.getReader();
  const chunks: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

function forwardedHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value === undefined || !FORWARDED_HEADERS.test(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
