/**
 * The era routing of /mcp answers the common shapes without the SDK's classifier; it must
 * never disagree with it. Every message below, under every protocol-version header, is
 * routed exactly as `classifyInboundRequest` routes it: what the SDK calls legacy goes to a
 * 2025 session, everything else (its rejections included) to the 2026-07-28 path. A
 * disagreement would let a message skip the checks of the path that should have answered it.
 */
import type { IncomingMessage } from 'node:http';
import { classifyInboundRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { isModernRequest, MODERN_PROTOCOL_VERSIONS } from '../../src/transport/http/modern-exchange.js';

const MODERN = MODERN_PROTOCOL_VERSIONS[0] ?? '2026-07-28';
const KEY = 'io.modelcontextprotocol/protocolVersion';
const ENVELOPE = { [KEY]: MODERN, 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };

const PARAMS: Record<string, unknown> = {
  none: undefined,
  empty: {},
  call: { name: 'query', arguments: { sql: 'SELECT 1' } },
  envelope: { name: 'query', arguments: {}, _meta: ENVELOPE },
  'envelope, old revision': { _meta: { ...ENVELOPE, [KEY]: '2025-06-18' } },
  'envelope, future revision': { _meta: { ...ENVELOPE, [KEY]: '2099-01-01' } },
  'claim only': { _meta: { [KEY]: MODERN } },
  'claim, not a string': { _meta: { [KEY]: 7 } },
  'claim, null meta': { _meta: null },
  'meta without claim': { _meta: { progressToken: 3 } },
  'meta with bad progress token': { _meta: { progressToken: { x: 1 } } },
  'meta array': { _meta: [KEY] },
  'params a string': 'x',
  'params an array': [1],
  'initialize params': { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  'initialize with envelope': { protocolVersion: MODERN, capabilities: {}, clientInfo: { name: 't', version: '1' }, _meta: ENVELOPE },
};

const METHODS = ['tools/call', 'tools/list', 'initialize', 'server/discover', 'notifications/initialized', 'ping'];
const IDS: unknown[] = [1, 'a', 1.5, undefined];
const HEADERS: (string | undefined)[] = [undefined, ...SUPPORTED_PROTOCOL_VERSIONS, ...MODERN_PROTOCOL_VERSIONS, '2099-01-01', 'garbage'];

function messages(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const method of METHODS) {
    for (const id of IDS) {
      for (const params of Object.values(PARAMS)) {
        const m: Record<string, unknown> = { jsonrpc: '2.0', method };
        if (id !== undefined) m['id'] = id;
        if (params !== undefined) m['params'] = params;
        out.push(m);
      }
    }
  }
  // Posted responses, and shapes mixing a method with a response's members.
  out.push({ jsonrpc: '2.0', id: 1, result: {} });
  out.push({ jsonrpc: '2.0', id: 1, error: { code: -1, message: 'no' } });
  out.push({ jsonrpc: '2.0', id: 1, method: 'tools/list', result: {} });
  out.push({ jsonrpc: '2.0', id: 1, method: 'tools/list', error: { code: -1, message: 'no' }, params: { _meta: ENVELOPE } });
  out.push({ jsonrpc: '2.0', id: 1, method: 'tools/list', extra: true });
  out.push({ jsonrpc: '2.0', id: 1, method: 'tools/list', extra: true, params: { _meta: ENVELOPE } });
  return out;
}

function request(headers: Record<string, string | undefined>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe('the /mcp era routing', () => {
  it('routes every message, under every protocol-version header, as the SDK classifier does', () => {
    const disagreements: string[] = [];
    let checked = 0;
    for (const body of messages()) {
      for (const version of HEADERS) {
        const method = typeof body['method'] === 'string' ? body['method'] : undefined;
        for (const methodHeader of [undefined, method, 'other/method']) {
          const headers = { 'mcp-protocol-version': version, 'mcp-method': methodHeader };
          const sdk = classifyInboundRequest({ httpMethod: 'POST', protocolVersionHeader: version, mcpMethodHeader: methodHeader, body }).kind !== 'legacy';
          const ours = isModernRequest(request(headers), body as JSONRPCMessage);
          checked++;
          if (sdk !== ours) disagreements.push(`${JSON.stringify(body)} under ${String(version)}/${String(methodHeader)}: sdk ${sdk ? 'modern' : 'legacy'}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(5000);
    expect(disagreements).toEqual([]);
  });
});
