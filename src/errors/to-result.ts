import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { BastionError } from './codes.js';
import { newCorrelationId } from './correlation.js';

/**
 * The one place an error becomes something a client sees: a tool result with
 * the code, a safe message and a correlation id. The full error, with driver
 * detail, goes to the server log under the same id.
 */
export function toToolErrorResult(error: unknown, log: Logger, context: Record<string, unknown>, correlationId = newCorrelationId()): CallToolResult {
  const known = error instanceof BastionError ? error : new BastionError('INTERNAL', undefined, error);
  const level = known.code === 'INTERNAL' || known.code === 'SOURCE_UNAVAILABLE' ? 'error' : 'info';
  log[level](
    { ...context, code: known.code, correlationId, err: known.detail ?? (known.code === 'INTERNAL' ? error : undefined) },
    'tool call failed',
  );
  return {
    isError: true,
    // No structuredContent: clients validate it against the tool's output schema, errors included.
    content: [{ type: 'text', text: redactText(`${known.code}: ${known.message} (correlation id: ${correlationId})`) }],
    _meta: { 'bastion/error': { code: known.code, correlation_id: correlationId, ...retryAfter(known) } },
  };
}

function retryAfter(error: BastionError): { retry_after_ms?: number } {
  const ms = (error.detail as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === 'number' ? { retry_after_ms: ms } : {};
}
