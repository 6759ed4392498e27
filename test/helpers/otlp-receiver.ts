/**
 * A local OTLP/HTTP receiver for tests: accepts POST /v1/traces and /v1/metrics on
 * 127.0.0.1, decodes the OTLP JSON and protobuf encodings of ExportTraceServiceRequest and
 * ExportMetricsServiceRequest (the protobuf ones with a small wire-format reader over the
 * fields a span and a sum, gauge or histogram point have), and keeps each raw body too, so
 * a test can search everything that left the process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** OTLP numbering: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

/** One data point of an exported metric: a sum's or gauge's value, or a histogram's count and sum. */
export interface ReceivedPoint {
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
}

export interface ReceivedMetric {
  readonly name: string;
  readonly unit: string;
  readonly kind: 'sum' | 'gauge' | 'histogram' | 'other';
  readonly points: readonly ReceivedPoint[];
}

export interface OtlpReceiver {
  /** The base endpoint, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Every metric of every export, in arrival order (cumulative: a later one repeats an earlier one's series). */
  readonly metrics: ReceivedMetric[];
  /** Every request body as received, with its content type. */
  readonly bodies: { readonly contentType: string; readonly body: Buffer }[];
  close(): Promise<void>;
}

/** `status`: what every export is answered with (400: a collector that refuses them, which the exporter does not retry). */
export async function startOtlpReceiver(status = 200): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const bodies: OtlpReceiver['bodies'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      bodies.push({ contentType, body });
      const known = req.url === '/v1/traces' || req.url === '/v1/metrics';
      if (req.method !== 'POST' || !known || status !== 200) {
        res.writeHead(known ? status : 404).end();
        return;
      }
      const json = contentType.includes('json');
      if (req.url === '/v1/traces') spans.push(...(json ? decodeJson(body) : decodeProtobuf(body)));
      else metrics.push(...(json ? decodeMetricsJson(body) : decodeMetricsProtobuf(body)));
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// --- OTLP JSON (ids are hex strings, enums numbers, int64 strings) ---

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
}
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: JsonAnyValue }[];
  status?: { code?: number };
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: JsonSpan[] }[] }[] };
  const out: ReceivedSpan[] = [];
  for (const resource of request.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const attributes: Record<string, AttributeValue> = {};
        for (const { key, value } of span.attributes ?? []) attributes[key] = value.stringValue ?? value.boolValue ?? Number(value.intValue ?? value.doubleValue);
        out.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          traceState: span.traceState ?? '',
          name: span.name,
          kind: span.kind,
          attributes,
          statusCode: span.status?.code ?? 0,
        });
      }
    }
  }
  return out;
}

// --- OTLP protobuf (opentelemetry/proto/collector/trace/v1) ---

type Field = { readonly number: number; readonly varint?: bigint; readonly bytes?: Buffer; readonly fixed64?: Buffer };

/** The fields of one message, in order; fixed32 values are skipped (no field used here needs them). */
function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[offset++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ number, varint: varint() });
        break;
      case 1:
        out.push({ number, fixed64: buffer.subarray(offset, offset + 8) });
        offset += 8;
        break;
      case 2: {
        const length = Number(varint());
        out.push({ number, bytes: buffer.subarray(offset, offset + length) });
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return out;
}

const nested = (message: Buffer, number: number): Buffer[] => fields(message).flatMap((f) => (f.number === number && f.bytes !== undefined ? [f.bytes] : []));
const text = (message: Buffer, number: number): string => nested(message, number)[0]?.toString('utf8') ?? '';
const hex = (message: Buffer, number: number): string => nested(message, number)[0]?.toString('hex') ?? '';
const enumOf = (message: Buffer, number: number): number => Number(fields(message).find((f) => f.number === number && f.varint !== undefined)?.varint ?? 0n);

function anyValue(value: Buffer): AttributeValue {
  for (const f of fields(value)) {
    if (f.number === 1 && f.bytes !== undefined) return f.bytes.toString('utf8');
    if (f.number === 2 && f.varint !== undefined) return f.varint !== 0n;
    if (f.number === 3 && f.varint !== undefined) return Number(BigInt.asIntN(64, f.varint));
    if (f.number === 4 && f.fixed64 !== undefined) return f.fixed64.readDoubleLE(0);
  }
  throw new Error('attribute value of a type this receiver does not decode');
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of nested(body, 1)) {
    for (const scopeSpans of nested(resourceSpans, 2)) {
      for (const span of nested(scopeSpans, 2)) {
        const attributes: Record<string, AttributeValue> = {};
        for (const kv of nested(span, 9)) attributes[text(kv, 1)] = anyValue(nested(kv, 2)[0] ?? Buffer.alloc(0));
        const status = nested(span, 15)[0];
        out.push({
          traceId: hex(span, 1),
          spanId: hex(span, 2),
          parentSpanId: hex(span, 4),
          traceState: text(span, 3),
          name: text(span, 5),
          kind: enumOf(span, 6),
          attributes,
          statusCode: status === undefined ? 0 : enumOf(status, 3),
        });
      }
    }
  }
  return out;
}

// --- metrics, OTLP JSON (opentelemetry/proto/metrics/v1 as JSON: int64 as strings) ---

interface JsonPoint {
  attributes?: { key: string; value: JsonAnyValue }[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
}
interface JsonMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints?: JsonPoint[] };
  gauge?: { dataPoints?: JsonPoint[] };
  histogram?: { dataPoints?: JsonPoint[] };
}

function jsonAttributes(list: JsonPoint['attributes']): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) attributes[key] = value.stringValue ?? value.boolValue ?? Number(value.intValue ?? value.doubleValue);
  return attributes;
}

function decodeMetricsJson(body: Buffer): ReceivedMetric[] {
  const request = JSON.parse(body.toString('utf8')) as { resourceMetrics?: { scopeMetrics?: { metrics?: JsonMetric[] }[] }[] };
  const out: ReceivedMetric[] = [];
  for (const resource of request.resourceMetrics ?? []) {
    for (const scope of resource.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const kind = metric.histogram !== undefined ? 'histogram' : metric.sum !== undefined ? 'sum' : metric.gauge !== undefined ? 'gauge' : 'other';
        const points = (metric.histogram ?? metric.sum ?? metric.gauge)?.dataPoints ?? [];
        out.push({
          name: metric.name,
          unit: metric.unit ?? '',
          kind,
          points: points.map((p) => ({
            attributes: jsonAttributes(p.attributes),
            ...(kind === 'histogram' ? { count: Number(p.count ?? 0), sum: Number(p.sum ?? 0) } : { value: Number(p.asInt ?? p.asDouble ?? 0) }),
          })),
        });
      }
    }
  }
  return out;
}

// --- metrics, OTLP protobuf (opentelemetry/proto/collector/metrics/v1) ---

const fixed = (message: Buffer, number: number): Buffer | undefined => fields(message).find((f) => f.number === number && f.fixed64 !== undefined)?.fixed64;

function protobufAttributes(point: Buffer, number: number): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const kv of nested(point, number)) attributes[text(kv, 1)] = anyValue(nested(kv, 2)[0] ?? Buffer.alloc(0));
  return attributes;
}

/** NumberDataPoint: attributes 7, as_double 4 (double), as_int 6 (sfixed64). */
function numberPoint(point: Buffer): ReceivedPoint {
  const asDouble = fixed(point, 4);
  const asInt = fixed(point, 6);
  return { attributes: protobufAttributes(point, 7), value: asDouble !== undefined ? asDouble.readDoubleLE(0) : Number(asInt?.readBigInt64LE(0) ?? 0n) };
}

/** HistogramDataPoint: attributes 9, count 4 (fixed64), sum 5 (double). */
function histogramPoint(point: Buffer): ReceivedPoint {
  return { attributes: protobufAttributes(point, 9), count: Number(fixed(point, 4)?.readBigUInt64LE(0) ?? 0n), sum: fixed(point, 5)?.readDoubleLE(0) ?? 0 };
}

function decodeMetricsProtobuf(body: Buffer): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const resourceMetrics of nested(body, 1)) {
    for (const scopeMetrics of nested(resourceMetrics, 2)) {
      for (const metric of nested(scopeMetrics, 2)) {
        // Metric: name 1, unit 3, gauge 5, sum 7, histogram 9; each holds its data points in field 1.
        const [gauge, sum, histogram] = [nested(metric, 5)[0], nested(metric, 7)[0], nested(metric, 9)[0]];
        const kind = histogram !== undefined ? 'histogram' : sum !== undefined ? 'sum' : gauge !== undefined ? 'gauge' : 'other';
        const points = histogram !== undefined ? nested(histogram, 1).map(histogramPoint) : nested(sum ?? gauge ?? Buffer.alloc(0), 1).map(numberPoint);
        out.push({ name: text(metric, 1), unit: text(metric, 3), kind, points });
      }
    }
  }
  return out;
}
