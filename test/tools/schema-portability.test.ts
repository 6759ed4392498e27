/**
 * Every tool's listed input and output schema is portable: it passes the rules
 * MCP Inspector's CLI checks with `--strict` (its core/json/schemaLint), written
 * out here so the check needs no inspector download. A client that maps tool
 * schemas onto a single-type dialect (the OpenAPI subset of function
 * declarations) accepts them as they are.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startBastion } from '../helpers/bastion.js';
import { cleanup, makeTempDir } from '../helpers/spawn.js';

interface Finding {
  rule: 'boolean-schema' | 'type-union' | 'remote-ref' | 'untyped-schema';
  path: string;
}

/** Where a bare `true`/`false` is the keyword's own boolean form, not a schema standing in for one. */
const BOOLEAN_VALUED = new Set(['additionalProperties', 'unevaluatedProperties', 'additionalItems', 'unevaluatedItems']);
const SUBSCHEMA = ['items', 'contains', 'not', 'propertyNames', 'if', 'then', 'else', 'additionalProperties', 'unevaluatedProperties', 'additionalItems', 'unevaluatedItems', 'contentSchema'];
const SUBSCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', 'dependencies', '$defs', 'definitions'];
/** Keywords that constrain a value; a schema with none of them accepts anything. (`if` counts only with `then` or `else`.) */
const CONSTRAINING = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength',
  'pattern', 'format', 'contentMediaType', 'contentEncoding', 'contentSchema', 'maxItems', 'minItems', 'uniqueItems', 'maxContains',
  'minContains', 'maxProperties', 'minProperties', 'required', 'dependentRequired', 'allOf', 'anyOf', 'oneOf', 'not', 'items',
  'prefixItems', 'contains', 'additionalItems', 'unevaluatedItems', 'properties', 'patternProperties', 'additionalProperties',
  'unevaluatedProperties', 'propertyNames', 'dependentSchemas', 'dependencies', '$ref', '$dynamicRef', '$recursiveRef',
]);

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

function subschemas(node: Node, path: string): [unknown, string, string][] {
  const out: [unknown, string, string][] = [];
  for (const key of SUBSCHEMA_MAPS) {
    const map = node[key];
    if (isNode(map)) for (const [name, sub] of Object.entries(map)) out.push([sub, `${path}.${key}.${name}`, key]);
  }
  for (const key of SUBSCHEMA_ARRAYS) {
    const list = node[key];
    if (Array.isArray(list)) list.forEach((sub, i) => out.push([sub, `${path}.${key}[${i}]`, key]));
  }
  for (const key of SUBSCHEMA) {
    if (!(key in node)) continue;
    const value = node[key];
    if (key === 'items' && Array.isArray(value)) value.forEach((sub, i) => out.push([sub, `${path}.items[${i}]`, key]));
    else out.push([value, `${path}.${key}`, key]);
  }
  return out;
}

/** The portability findings for one schema, by the inspector's four rules. */
function portabilityFindings(schema: unknown, path = '', keyword?: string, findings: Finding[] = []): Finding[] {
  if (typeof schema === 'boolean') {
    if (keyword === undefined || !BOOLEAN_VALUED.has(keyword)) findings.push({ rule: 'boolean-schema', path });
    return findings;
  }
  if (!isNode(schema)) return findings;
  if (Array.isArray(schema['type'])) findings.push({ rule: 'type-union', path });
  const ref = schema['$ref'];
  if (typeof ref === 'string' && ref !== '' && !ref.startsWith('#')) findings.push({ rule: 'remote-ref', path });
  const constrains = Object.keys(schema).some((key) => CONSTRAINING.has(key)) || ('if' in schema && ('then' in schema || 'else' in schema));
  if (!constrains && keyword !== 'not') findings.push({ rule: 'untyped-schema', path });
  for (const [sub, subPath, subKeyword] of subschemas(schema, path)) portabilityFindings(sub, subPath, subKeyword, findings);
  return findings;
}

afterAll(async () => cleanup());

describe('tool schemas are portable (the rules of MCP Inspector --strict)', () => {
  it('the rules find what the inspector reports: a type array, an untyped schema, a bare true, a remote $ref', () => {
    const before = {
      type: 'object',
      properties: {
        comment: { type: ['string', 'null'] },
        rows: { type: 'array', items: { type: 'array', items: {} } },
        extra: true,
        other: { $ref: 'https://example.com/schema.json' },
        closed: { type: 'object', additionalProperties: false },
      },
    };
    expect(portabilityFindings(before)).toEqual([
      { rule: 'type-union', path: '.properties.comment' },
      { rule: 'untyped-schema', path: '.properties.rows.items.items' },
      { rule: 'boolean-schema', path: '.properties.extra' },
      { rule: 'remote-ref', path: '.properties.other' },
    ]);
  });

  it('every listed tool, write and file tools included, has portable input and output schemas', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'app.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    db.close();
    mkdirSync(join(dir, 'files'));
    const bastion = await startBastion(
      { sources: { main: { engine: 'sqlite', path: file, writes: { enabled: true } } }, files: { roots: [join(dir, 'files')] } },
      { id: 'p:admin', kind: 'api_key', role: 'admin', scopes: [] },
    );
    try {
      const { tools } = await bastion.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(
        ['change_schema', 'describe_table', 'execute', 'explain', 'list_files', 'list_schemas', 'list_sources', 'list_tables', 'query', 'read_file', 'search_files'],
      );
      const findings = tools.flatMap((tool) => [
        ...portabilityFindings(tool.inputSchema, `${tool.name}.inputSchema`),
        ...(tool.outputSchema === undefined ? [] : portabilityFindings(tool.outputSchema, `${tool.name}.outputSchema`)),
      ]);
      expect(findings).toEqual([]);
    } finally {
      await bastion.close();
    }
  });
});
