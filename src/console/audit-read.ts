import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { checkChainIndex, LOG_FILE, listRotatedFiles, verifyAuditLog, type AuditKey } from '../audit/index.js';

/** What the audit page and its export select: every field optional, each a plain comparison. */
export interface AuditFilter {
  readonly principal?: string;
  readonly tool?: string;
  readonly source?: string;
  readonly decision?: string;
  readonly reason?: string;
  readonly correlation?: string;
  readonly instance?: string;
  /** ISO times, inclusive; compared with each record's `time`. */
  readonly from?: string;
  readonly to?: string;
}

export const FILTER_FIELDS = ['principal', 'tool', 'source', 'decision', 'reason', 'correlation', 'instance', 'from', 'to'] as const;

/** The verdict of `bastion audit verify` on one chain, for the records shown from it. */
export interface ChainState {
  readonly instance: string;
  readonly ok: boolean;
  readonly records: number;
  readonly detail: string;
}

export interface AuditLine {
  readonly instance: string;
  /** The record as stored, byte for byte: what the export writes. */
  readonly text: string;
  readonly record: Record<string, unknown>;
}

/** The filter of a query string: known fields only, each at most 200 characters. */
export function filterOf(params: URLSearchParams): AuditFilter {
  const filter: Record<string, string> = {};
  for (const field of FILTER_FIELDS) {
    const value = params.get(field)?.trim();
    if (value !== undefined && value !== '') filter[field] = value.slice(0, 200);
  }
  return filter;
}

/**
 * Verifies every chain of the audit folder (the chain index and each chain, as `bastion
 * audit verify` does) and returns each chain's verdict.
 */
export async function verifyChains(dir: string, key: AuditKey | undefined): Promise<ChainState[]> {
  const index = await checkChainIndex(dir, key);
  const states: ChainState[] = [];
  for (const chain of index.chains) {
    const result = await verifyAuditLog({ dir: chain.dir, key, genesis: chain.genesis, requireHead: chain.requireHead });
    states.push({
      instance: chain.instance ?? '(folder)',
      ok: result.ok,
      records: result.records,
      detail: result.ok ? `${result.records} record(s) verified` : `broken at record ${result.firstBad.line}: ${result.firstBad.reason}`,
    });
  }
  return states;
}

/** Every record of every chain that `filter` selects, oldest file first within a chain; `each` may stop the read by returning false. */
export async function readAudit(dir: string, filter: AuditFilter, each: (line: AuditLine) => boolean | void): Promise<void> {
  const index = await checkChainIndex(dir, undefined);
  for (const chain of index.chains) {
    const instance = chain.instance ?? '(folder)';
    if (filter.instance !== undefined && filter.instance !== instance) continue;
    const files = [...(await listRotatedFiles(chain.dir)).map((f) => f.name), LOG_FILE];
    for (const name of files) {
      if (!(await readFile(join(chain.dir, name), instance, filter, each))) return;
    }
  }
}

async function readFile(path: string, instance: string, filter: AuditFilter, each: (line: AuditLine) => boolean | void): Promise<boolean> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.on('error', () => undefined);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      const record = parse(text);
      if (record === undefined || !matches(record, filter)) continue;
      if (each({ instance, text, record }) === false) return false;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    lines.close();
    stream.destroy();
    await ended;
  }
  return true;
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function field(record: Record<string, unknown>, name: string): string {
  const value = record[name];
  return typeof value === 'string' ? value : '';
}

function matches(record: Record<string, unknown>, filter: AuditFilter): boolean {
  const principal = record['principal'] as { id?: unknown } | undefined;
  const principalId = typeof principal?.id === 'string' ? principal.id : '';
  const time = field(record, 'time');
  return (
    (filter.principal === undefined || principalId.includes(filter.principal)) &&
    (filter.tool === undefined || field(record, 'tool').includes(filter.tool)) &&
    (filter.source === undefined || field(record, 'source') === filter.source) &&
    (filter.decision === undefined || field(record, 'decision') === filter.decision) &&
    (filter.reason === undefined || field(record, 'reason').includes(filter.reason)) &&
    (filter.correlation === undefined || field(record, 'correlation_id') === filter.correlation) &&
    (filter.from === undefined || time >= filter.from) &&
    (filter.to === undefined || time <= filter.to)
  );
}
