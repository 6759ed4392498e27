import type { ParamValue } from '../../../engine/source.js';

/**
 * Text-format values from the PostgreSQL wire protocol, turned into JSON values
 * without losing precision: numerics and large bigints stay strings.
 */
const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 26: 'oid',
  114: 'json', 142: 'xml', 650: 'cidr', 700: 'float4', 701: 'float8', 869: 'inet', 1042: 'bpchar',
  1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz', 1186: 'interval',
  1266: 'timetz', 1700: 'numeric', 2950: 'uuid', 3802: 'jsonb', 1000: 'bool[]', 1005: 'int2[]',
  1007: 'int4[]', 1016: 'int8[]', 1009: 'text[]', 1015: 'varchar[]', 1021: 'float4[]', 1022: 'float8[]',
  1231: 'numeric[]', 2951: 'uuid[]', 3807: 'jsonb[]', 2249: 'record', 705: 'unknown',
};

export function typeName(oid: number): string {
  return TYPE_NAMES[oid] ?? `oid:${oid}`;
}

export type Decoder = (text: string) => unknown;

const asText: Decoder = (text) => text;
const asFiniteNumber: Decoder = (text) => {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
};
const asSafeInteger: Decoder = (text) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};
const asBool: Decoder = (text) => text === 't';
const asJson: Decoder = (text) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

export function decoderFor(oid: number): Decoder {
  switch (oid) {
    case 16:
      return asBool;
    case 21:
    case 23:
    case 26:
      return asFiniteNumber;
    case 700:
    case 701:
      return asFiniteNumber;
    case 20:
      return asSafeInteger;
    case 114:
    case 3802:
      return asJson;
    default:
      return asText;
  }
}

/** Encodes a JSON parameter as PostgreSQL text input. Arrays become array literals. */
export function encodeParam(value: ParamValue): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return arrayLiteral(value);
  return JSON.stringify(value);
}

function arrayLiteral(values: readonly ParamValue[]): string {
  const parts = values.map((v) => {
    if (v === null) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v);
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  });
  return `{${parts.join(',')}}`;
}
