import { z } from 'zod';

/** zod schemas for tool arguments: the validate stage. Every tool argument is declared here. */
export const sourceArg = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/)
  .optional()
  .describe('Source name from list_sources; may be omitted when there is only one.');

export const sqlArg = z.string().min(1).max(100_000);

const scalar = z.union([z.string().max(1_000_000), z.number(), z.boolean(), z.null()]);
export const paramsArg = z
  .array(z.union([scalar, z.array(scalar).max(10_000)]))
  .max(100)
  .optional()
  .describe('Values for the placeholders, in order ($1, $2, ... on PostgreSQL; ? on MySQL and SQLite).');

export const columnSchema = z.object({ name: z.string(), type: z.string() });

/*
 * Listed tool schemas stay within what every client can map (the portability rules
 * MCP Inspector's --strict checks; test/tools/schema-portability.test.ts): no
 * schema without a type, and no `type: [..., "null"]` array, which single-type
 * dialects (the OpenAPI subset of function declarations) reject.
 */

/**
 * A value that may be null, as `anyOf` branches of one type each. zod folds a bare
 * `z.string().nullable()` into `type: ["string", "null"]`; a described branch keeps
 * its own `anyOf` entry, and says what the field is.
 */
export function orNull<T extends z.ZodType>(schema: T, description: string): z.ZodNullable<T> {
  return z.nullable(schema.describe(description));
}

/**
 * One cell of a result row: any JSON value (json and array columns arrive as arrays and
 * objects). Checked as `unknown`: the SDK validates structuredContent against this on
 * every call, and walking every cell with `z.json()` cost ~10x the whole check on a
 * 1,000-row answer. The listed schema still names the JSON types, one described
 * `anyOf` branch each (a bare list would fold into a `type` array).
 */
const cell = z.unknown().meta({
  description: 'A column value: text, number, boolean, null, or JSON (arrays, objects).',
  anyOf: (
    [
      ['string', 'text'],
      ['number', 'a number'],
      ['boolean', 'a boolean'],
      ['null', 'NULL'],
      ['array', 'a JSON or array value'],
      ['object', 'a JSON object'],
    ] as const
  ).map(([type, description]) => ({ type, description })),
});

export const rowsOutput = {
  columns: z.array(columnSchema),
  rows: z.array(z.array(cell)),
  row_count: z.number().int(),
  truncated: z.boolean(),
  truncated_by: z.enum(['rows', 'bytes']).optional(),
};
