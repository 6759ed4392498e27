import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS, UnsupportedProtocolVersionError, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { jsonDepthExceeds } from './guard.js';
import { MODERN_PROTOCOL_VERSIONS } from './modern-exchange.js';
import { sendJson } from './send-json.js';

/** Every revision this endpoint serves, newest era first: 2026-07-28, then the 2025 ones the SDK serves. */
const SERVED_VERSIONS: readonly string[] = [...MODERN_PROTOCOL_VERSIONS, ...SUPPORTED_PROTOCOL_VERSIONS];

/** The body limits of the HTTP guard. */
export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
}

/**
 * The one JSON-RPC message a POST carries, checked in order of cost: Content-Type and
 * MCP-Protocol-Version before the body is read, its size while it is read (no more than
 * the limit is ever held), its nesting before it is parsed, its shape after. Undefined
 * when the request has been refused here (415, 400, 413).
 */
export async function readJsonRpcMessage(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<JSONRPCMessage | undefined> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/json')) {
    req.resume();
    sendJson(res, 415, rpcError(null, -32600, 'Content-Type must be application/json'));
    return undefined;
  }
  const version = req.headers['mcp-protocol-version'];
  if (typeof version === 'string' && !SERVED_VERSIONS.includes(version)) {
    req.resume();
    const error = new UnsupportedProtocolVersionError({ supported: [...SERVED_VERSIONS], requested: version });
    sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: error.code, message: error.message, data: error.data } });
    return undefined;
  }
  const body = await readBody(req, limits.maxBodyBytes);
  if (body === undefined) {
    sendJson(res, 413, rpcError(null, -32600, `Request body exceeds ${limits.maxBodyBytes} bytes`), true);
    return undefined;
  }
  if (jsonDepthExceeds(body, limits.maxJsonDepth)) {
    sendJson(res, 400, rpcError(null, -32600, `JSON nesting exceeds depth ${limits.maxJsonDepth}`));
    return undefined;
  }
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    sendJson(res, 400, rpcError(null, -32700, 'Parse error'));
    return undefined;
  }
  if (!isJsonRpcMessage(message)) {
    sendJson(res, 400, rpcError(null, -32600, 'Invalid Request: one JSON-RPC 2.0 message per POST'));
    return undefined;
  }
  return message;
}

/** A JSON-RPC error response, for refusals the transport makes before the MCP server sees the message. */
export function rpcError(id: string | number | null, code: number, message: string): unknown {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** The id to answer a refused message with: its own when it has a usable one. */
export function idOf(message: unknown): string | number | null {
  const id = (message as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** A tools/call request (with an id): its tool stage counts it against the rate limit (src/tools/run.ts). */
export function isToolCall(message: JSONRPCMessage): boolean {
  return 'method' in message && message.method === 'tools/call' && 'id' in message;
}

/** The tool a `tools/call` request names; undefined for any other message. */
export function calledTool(message: JSONRPCMessage): string | undefined {
  if (!('method' in message) || message.method !== 'tools/call') return undefined;
  const tool = (message.params as { name?: unknown } | undefined)?.name;
  return typeof tool === 'string' ? tool : undefined;
}

function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  if (m['jsonrpc'] !== '2.0') return false;
  if ('method' in m) return typeof m['method'] === 'string' && (!('id' in m) || validId(m['id']));
  return 'id' in m && validId(m['id']) && ('result' in m || 'error' in m);
}

function validId(id: unknown): boolean {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    req.on('error', (error) => {
      if (!done) {
        done = true;
        reject(error);
      }
    });
  });
}
