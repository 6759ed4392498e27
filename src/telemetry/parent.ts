import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { parseTraceParent, TraceState } from '@opentelemetry/core';
import type { CallRequest } from './types.js';

/** Longer values are not W3C trace context (version 00 is 55 characters; tracestate is at most 32 members). */
const MAX_TRACEPARENT = 256;
const MAX_TRACESTATE = 1024;

/**
 * The caller's trace, from the request's `_meta` (traceparent, tracestate) or else from
 * the HTTP `traceparent` header: a call continues it. A malformed or oversized value is
 * ignored and the call starts a trace of its own.
 */
export function parentContext(request: CallRequest): Context {
  const fromMeta = stringOf(request.meta?.['traceparent'], MAX_TRACEPARENT);
  const traceparent = fromMeta ?? stringOf(header(request.headers, 'traceparent'), MAX_TRACEPARENT);
  if (traceparent === undefined) return ROOT_CONTEXT;
  const parent = parseTraceParent(traceparent);
  // null also for an all-zero trace or span id, which names no trace.
  if (parent === null) return ROOT_CONTEXT;
  // The tracestate that travels with the traceparent, from the same place.
  const state = stringOf(fromMeta !== undefined ? request.meta?.['tracestate'] : header(request.headers, 'tracestate'), MAX_TRACESTATE);
  return trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true, ...(state === undefined ? {} : { traceState: new TraceState(state) }) });
}

/** A header's value (repeated ones arrive joined with commas, which no traceparent parses as). */
export function header(headers: CallRequest['headers'], name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

function stringOf(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}
