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

export const rowsOutput = {
  columns: z.array(columnSchema),
  rows: z.array(z.array(z.unknown())),
  row_count: z.number().int(),
  truncated: z.boolean(),
  truncated_by: z.enum(['rows', 'bytes']).optional(),
};
