import type { FieldDescription } from './collector.js';

/** Where a step's rows go; RowCollector is one. */
export interface RowSink {
  describe(fields: readonly FieldDescription[]): void;
  add(fields: readonly (string | null)[]): unknown;
}

export interface PipelineStep {
  readonly text: string;
  readonly values: readonly (string | null)[];
  readonly sink?: RowSink | undefined;
}

export interface StepOutcome {
  /** The command tag without its counts: 'UPDATE', 'CREATE TABLE', 'COMMIT', ... */
  readonly command: string;
  /** Rows the command processed, 0 when its tag carries no count. */
  readonly rowCount: number;
}

export interface PipelineResult {
  /** One outcome per step that completed, in order. */
  readonly completed: readonly StepOutcome[];
  /** The first error (the engine's own, carrying its SQLSTATE as `code`); the steps after it did not run. */
  readonly error?: Error;
}

/**
 * Runs steps in order over the extended protocol, each a separate statement with
 * bound values, and ends with Sync: the first error skips the rest. An engine
 * adapter implements this for its connection; the write flow (write-flow.ts) is shared.
 */
export type Pipeline = (steps: readonly PipelineStep[]) => Promise<PipelineResult>;

/** Engines throw Error objects; anything else is wrapped so it can be thrown on. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error('the engine failed', { cause: value });
}

/** 'INSERT 0 5' → INSERT, 5; 'CREATE TABLE' → CREATE TABLE, 0. */
export function parseCommandTag(tag: string): StepOutcome {
  const words = tag.split(' ');
  const counts = words.filter((w) => /^\d+$/.test(w));
  return { command: words.filter((w) => !/^\d+$/.test(w)).join(' '), rowCount: Number(counts.at(-1) ?? 0) };
}
