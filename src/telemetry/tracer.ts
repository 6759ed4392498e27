/**
 * The OpenTelemetry SDK behind CallTracer: a tracer provider of Bastion's own (nothing is
 * registered globally), a batch processor and one OTLP/HTTP exporter, protobuf or JSON.
 * Spans carry the MCP and database semantic conventions and Bastion's decision; never an
 * argument, a statement's text, a parameter or an error message.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TelemetrySettings } from '../config/telemetry.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import type { CallEnding, CallRequest, CallSpan, CallStage, CallTracer, RequestSpan, StatementFacts } from './types.js';
import { reportExportFailures } from './export-failures.js';
import { header, parentContext } from './parent.js';

export async function startTracer(settings: TelemetrySettings, version: string, log: Logger): Promise<CallTracer> {
  reportExportFailures(log);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': version }),
    ...(settings.sampleRatio === undefined ? {} : { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }) }),
    spanProcessors: [new BatchSpanProcessor(await exporterFor(settings))],
  });
  const tracer = provider.getTracer('bastion', version);
  return {
    startCall: (request) => startCall(tracer, request),
    startRequest: (request, startTime) => startRequest(tracer, request, startTime),
    close: () => provider.shutdown(),
  };
}

/** Only the chosen exporter's module is loaded. */
async function exporterFor(settings: TelemetrySettings): Promise<SpanExporter> {
  const { OTLPTraceExporter } =
    settings.protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: settings.tracesUrl });
}

function startCall(tracer: Tracer, request: CallRequest): CallSpan | undefined {
  const target = request.method === 'tools/call' ? `${request.method} ${request.tool}` : request.method;
  const span = tracer.startSpan(target, { kind: SpanKind.SERVER, attributes: requestAttributes(request) }, parentContext(request));
  if (!span.isRecording()) return undefined;
  const parent = trace.setSpan(ROOT_CONTEXT, span);
  return {
    traceId: span.spanContext().traceId,
    stage: (stage, work) => inChild(tracer.startSpan(STAGE_SPANS[stage], { kind: SpanKind.INTERNAL }, parent), work),
    statement: async (facts, work, counts) => {
      const child = tracer.startSpan(DB_SYSTEMS[facts.engine], { kind: SpanKind.CLIENT, attributes: statementAttributes(facts) }, parent);
      const result = await inChild(child, work, false);
      const { returned, affected } = counts(result);
      if (returned !== undefined) child.setAttribute('db.response.returned_rows', returned);
      if (affected !== undefined) child.setAttribute('bastion.affected_rows', affected);
      child.end();
      return result;
    },
    end: (ending) => endCall(span, ending),
  };
}

/** Any other request: one server span, named by its method, with the MCP attributes. */
function startRequest(tracer: Tracer, request: CallRequest, startTime?: number): RequestSpan | undefined {
  const name = request.tool === '' ? request.method : `${request.method} ${request.tool}`;
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: requestAttributes(request), ...(startTime === undefined ? {} : { startTime }) }, parentContext(request));
  if (!span.isRecording()) return undefined;
  return {
    end: (errorType, protocolVersion) => {
      if (protocolVersion !== undefined && request.protocolVersion === undefined && PROTOCOL_VERSION.test(protocolVersion)) span.setAttribute('mcp.protocol.version', protocolVersion);
      if (errorType !== undefined) {
        span.setAttribute('error.type', errorType);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/** What a protocol revision looks like (2025-06-18, 2026-07-28); anything else is left out. */
const PROTOCOL_VERSION = /^[0-9A-Za-z.-]{1,32}$/;

const STAGE_SPANS: Readonly<Record<CallStage, string>> = {
  rate_limit: 'bastion.rate_limit',
  authorize: 'bastion.authorize',
  audit: 'bastion.audit_append',
};

/** db.system.name: PGlite is PostgreSQL; the MySQL driver speaks to MariaDB too. */
const DB_SYSTEMS: Readonly<Record<StatementFacts['engine'], string>> = {
  postgres: 'postgresql',
  pglite: 'postgresql',
  mysql: 'mysql',
  sqlite: 'sqlite',
};

function requestAttributes(request: CallRequest): Attributes {
  const http = request.headers !== undefined;
  const version = request.protocolVersion ?? header(request.headers, 'mcp-protocol-version');
  return {
    'mcp.method.name': request.method,
    ...(request.method === 'tools/call' ? { 'gen_ai.tool.name': request.tool, 'gen_ai.operation.name': 'execute_tool' } : {}),
    ...(request.requestId === undefined ? {} : { 'jsonrpc.request.id': String(request.requestId).slice(0, 128) }),
    ...(request.sessionId === undefined ? {} : { 'mcp.session.id': request.sessionId }),
    ...(typeof version === 'string' && PROTOCOL_VERSION.test(version) ? { 'mcp.protocol.version': version } : {}),
    'network.transport': http ? 'tcp' : 'pipe',
    ...(http ? { 'network.protocol.name': 'http' } : {}),
  };
}

function statementAttributes(facts: StatementFacts): Attributes {
  return {
    'db.system.name': DB_SYSTEMS[facts.engine],
    ...(facts.operation === undefined ? {} : { 'db.operation.name': facts.operation }),
    ...(facts.dryRun === undefined ? {} : { 'bastion.dry_run': facts.dryRun }),
    'bastion.source': facts.source,
    ...(facts.fingerprint === undefined ? {} : { 'bastion.sql.fingerprint': facts.fingerprint }),
  };
}

/** A failed stage says its error code, never the error's message (a driver's may quote the statement). */
async function inChild<T>(span: Span, work: () => Promise<T>, end = true): Promise<T> {
  try {
    const result = await work();
    if (end) span.end();
    return result;
  } catch (error) {
    const code = error instanceof BastionError ? error.code : 'INTERNAL';
    span.setAttribute('error.type', code);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    throw error;
  }
}

function endCall(span: Span, ending: CallEnding): void {
  span.setAttributes({
    'bastion.decision': ending.decision,
    'bastion.correlation_id': ending.correlationId,
    ...(ending.source === undefined ? {} : { 'bastion.source': ending.source }),
  });
  if (ending.code !== undefined) {
    // The MCP conventions: a tool result with isError is error.type tool_error; Bastion's code says which.
    span.setAttributes({ 'error.type': 'tool_error', 'bastion.reason': ending.code });
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
