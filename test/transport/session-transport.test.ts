/**
 * The HTTP session transport pairs what the server sends with the response of the
 * request it belongs to: a cancel ends a response only when the SDK really cancels
 * the request, a refused duplicate id never drops the handlers of the request that
 * holds it, and a closing session ends every response still open. A handler sees the
 * HTTP request's trace context, never the credentials it carried.
 */
import type { IncomingMessage } from 'node:http';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { SessionTransport, type ResponseHandlers } from '../../src/transport/http/session-transport.js';

function tracked(): ResponseHandlers & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    reply: (m) => log.push(`reply ${JSON.stringify((m as { id?: unknown }).id)}`),
    progress: () => log.push('progress'),
    cancelled: () => log.push('cancelled'),
  };
}

const call = (id: number | string): JSONRPCMessage => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'query', arguments: {} } });
const cancel = (params: Record<string, unknown>): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params });

describe('SessionTransport', () => {
  it('ends a response as cancelled only for a cancel the SDK acts on', () => {
    const t = new SessionTransport('s');
    t.onmessage = () => undefined;
    const zero = tracked();
    const five = tracked();
    const seven = tracked();
    t.deliver(call(0), zero);
    t.deliver(call(5), five);
    t.deliver(call(7), seven);
    t.deliver(cancel({ requestId: 5, reason: 42 }), undefined); // not a valid cancel: the SDK drops it
    t.deliver(cancel({ requestId: 6 }), undefined); // no such request
    expect(five.log).toEqual([]);
    expect(seven.log).toEqual([]);
    t.deliver(cancel({ requestId: 5, reason: 'user' }), undefined);
    t.deliver(cancel({ requestId: 0 }), undefined); // SDK v2 cancels request id 0 as well
    expect(five.log).toEqual(['cancelled']);
    expect(zero.log).toEqual(['cancelled']);
    // The answer still reaches request 7, and nothing more reaches the cancelled ones.
    void t.send({ jsonrpc: '2.0', id: 0, result: {} });
    void t.send({ jsonrpc: '2.0', id: 5, result: {} });
    void t.send({ jsonrpc: '2.0', id: 7, result: {} });
    expect(zero.log).toEqual(['cancelled']);
    expect(five.log).toEqual(['cancelled']);
    expect(seven.log).toEqual(['reply 7']);
  });

  it('a refused duplicate id does not drop the first request, and progress goes only to its own request', () => {
    const t = new SessionTransport('s');
    t.onmessage = () => undefined;
    const first = tracked();
    const duplicate = tracked();
    const other = tracked();
    expect(t.deliver(call(7), first)).toBe(true);
    expect(t.deliver(call(7), duplicate)).toBe(false);
    t.cancel(7, duplicate); // the duplicate's response closing: touches nothing of request 7
    expect(t.deliver(call(8), other)).toBe(true);
    void t.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress: 1 } }, { relatedRequestId: 7 });
    void t.send({ jsonrpc: '2.0', id: 7, result: {} });
    expect(first.log).toEqual(['progress', 'reply 7']);
    expect(duplicate.log).toEqual([]);
    expect(other.log).toEqual([]);
  });

  it("a request whose client went away is cancelled in the SDK, and a later request reusing its id gets only its own answer", () => {
    const t = new SessionTransport('s');
    const seen: JSONRPCMessage[] = [];
    t.onmessage = (message) => seen.push(message);
    const gone = tracked();
    const later = tracked();
    expect(t.deliver(call(7), gone)).toBe(true);
    t.cancel(7, gone);
    // The SDK hears a cancellation for request 7 (it aborts the handler and sends no answer).
    expect(seen.at(-1)).toMatchObject({ method: 'notifications/cancelled', params: { requestId: 7 } });
    expect(t.deliver(call(7), later)).toBe(true);
    void t.send({ jsonrpc: '2.0', id: 7, result: { which: 'later' } });
    expect(later.log).toEqual(['reply 7']);
    expect(gone.log).toEqual([]);
    // Cancelling again with the first request's handlers does nothing to the later one.
    t.cancel(7, gone);
    expect(seen.filter((m) => 'method' in m && m.method === 'notifications/cancelled')).toHaveLength(1);
  });

  it('closing the session ends every response still open', async () => {
    const t = new SessionTransport('s');
    t.onmessage = () => undefined;
    const open = tracked();
    t.deliver(call(9), open);
    await t.close();
    expect(open.log).toEqual(['cancelled']);
  });

  it('hands the SDK the trace headers of the HTTP request, never its Authorization or cookies', () => {
    const t = new SessionTransport('s');
    let seen: MessageExtraInfo | undefined;
    t.onmessage = (_message, extra) => {
      seen = extra;
    };
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const secret = 'Bearer bst_live_secret_value_0123456789';
    const req = {
      headers: { authorization: secret, cookie: `session=${secret}`, 'x-api-key': secret, traceparent, tracestate: 'a=1', 'mcp-protocol-version': '2025-11-25' },
    } as unknown as IncomingMessage;
    t.deliver(call(10), tracked(), req);
    const headers = seen?.request?.headers;
    expect(headers?.get('traceparent')).toBe(traceparent);
    expect(headers?.get('tracestate')).toBe('a=1');
    expect([...(headers?.keys() ?? [])].sort()).toEqual(['mcp-protocol-version', 'traceparent', 'tracestate']);
    expect([...(headers?.values() ?? [])].join('\n')).not.toContain('secret_value');
  });

  it('a message never sees the trace context of the one before it: a new trace, or none, gets its own headers', () => {
    const t = new SessionTransport('s');
    const seen: (Headers | undefined)[] = [];
    t.onmessage = (_message, extra) => {
      seen.push(extra?.request?.headers);
    };
    const first = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const second = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const at = (headers: Record<string, string>): IncomingMessage => ({ headers: { 'mcp-protocol-version': '2025-11-25', ...headers } }) as unknown as IncomingMessage;
    t.deliver(call(1), tracked(), at({ traceparent: first, tracestate: 'a=1' }));
    t.deliver(call(2), tracked(), at({ traceparent: second }));
    t.deliver(call(3), tracked(), at({}));
    t.deliver(call(4), tracked(), at({}));
    expect(seen.map((h) => h?.get('traceparent') ?? null)).toEqual([first, second, null, null]);
    expect(seen.map((h) => h?.get('tracestate') ?? null)).toEqual(['a=1', null, null, null]);
    expect(seen.map((h) => h?.get('mcp-protocol-version'))).toEqual(Array<string>(4).fill('2025-11-25'));
  });
});
