/**
 * Which trace a call continues: `_meta.traceparent` first, then the HTTP header; a
 * malformed, oversized or all-zero value is no parent at all.
 */
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parentContext } from '../../src/telemetry/parent.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const parentOf = (request: Parameters<typeof parentContext>[0]) => trace.getSpanContext(parentContext(request));
const call = { method: 'tools/call', tool: 'query' };

describe('the parent of a call span', () => {
  it('_meta.traceparent and its tracestate, taken before the header', () => {
    const parent = parentOf({ ...call, meta: { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'a=1' }, headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` } });
    expect(parent).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(parent?.traceState?.get('a')).toBe('1');
  });

  it('the HTTP traceparent header when _meta has none', () => {
    expect(parentOf({ ...call, meta: {}, headers: { traceparent: `00-${TRACE}-${SPAN}-00`, tracestate: 'b=2' } })).toMatchObject({ traceId: TRACE, traceFlags: 0 });
  });

  it('no parent from an all-zero id, a malformed or oversized value, a non-string or a repeated header', () => {
    for (const traceparent of [`00-${'0'.repeat(32)}-${SPAN}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, 'garbage', `cc-${TRACE}-${SPAN}-01-${'x'.repeat(300)}`, 42]) {
      expect(parentOf({ ...call, meta: { traceparent } }), String(traceparent)).toBeUndefined();
    }
    // A repeated header reaches the handler joined with a comma, as Node and the Fetch API join it.
    expect(parentOf({ ...call, headers: { traceparent: `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01` } })).toBeUndefined();
  });
});
