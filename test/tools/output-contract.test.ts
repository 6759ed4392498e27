/**
 * Bastion's structured results are built by its own code and not re-validated per call
 * (dispatch.ts takes tools/call over from the SDK). This holds that construction to the
 * contract: real answers of every tool with a result schema, over rows of many kinds of
 * value, parse with the zod schema the tool advertises — and that schema, converted once
 * (define.ts), is exactly what tools/list lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RESULT_SCHEMAS } from '../../src/tools/define.js';
import { startBastion, type TestBastion } from '../helpers/bastion.js';

let bastion: TestBastion;

beforeAll(async () => {
  bastion = await startBastion({ sources: { main: { engine: 'pglite' } } });
});
afterAll(async () => bastion.close());

const CALLS: [string, Record<string, unknown>][] = [
  ['list_sources', {}],
  ['list_schemas', {}],
  ['list_tables', {}],
  [
    'query',
    {
      sql:
        "SELECT 1 AS i, 2.5::float8 AS f, 12345678901234567890::numeric AS n, 'text' AS t, NULL AS z, true AS b, " +
        "'{\"a\":[1,2]}'::jsonb AS j, ARRAY[1,2] AS a, '\\\\x00ff'::bytea AS y, now() AS ts, '1 day'::interval AS iv",
    },
  ],
  ['query', { sql: 'SELECT g FROM generate_series(1, 5000) AS g' }],
  ['query', { sql: 'SELECT $1::text AS p', params: ['x'] }],
  ['explain', { sql: 'EXPLAIN SELECT 1' }],
];

describe('structured results hold to the advertised contract', () => {
  it.each(CALLS)('%s %j', async (tool, args) => {
    const result = await bastion.call(tool, args);
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const schema = RESULT_SCHEMAS.get(tool);
    expect(schema, `${tool} has a result schema`).toBeDefined();
    expect(() => schema?.parse(result.structuredContent)).not.toThrow();
  });

  it('a result that breaks the contract fails the zod schema (the check above can fail)', () => {
    const schema = RESULT_SCHEMAS.get('query');
    expect(() => schema?.parse({ rows: 'not rows' })).toThrow();
  });

  it('tools/list advertises exactly the zod schema of each result and each argument list', async () => {
    const { tools } = await bastion.client.listTools();
    for (const tool of tools) {
      const schema = RESULT_SCHEMAS.get(tool.name);
      if (schema === undefined) {
        expect(tool.outputSchema).toBeUndefined();
        continue;
      }
      expect(tool.outputSchema).toEqual(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }));
    }
    const query = tools.find((t) => t.name === 'query');
    expect(query?.inputSchema.required).toEqual(['sql']);
  });

  it('arguments are still validated on every call: a wrong type is refused before any statement runs', async () => {
    const result = await bastion.call('query', { sql: 42 });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/Input validation error|INVALID_ARGUMENT/);
  });
});
