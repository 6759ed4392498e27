import type { Logger } from '../log/logger.js';
import type { SourceEntry } from '../engine/registry.js';

/** A probe slower than this counts as a failure: a ready server answers a trivial query fast. */
const PROBE_TIMEOUT_MS = 5_000;
/** Anyone may ask /readyz: within this window, callers share one probe instead of each reaching the databases. */
const REUSE_MS = 1_000;

export interface SourceReadiness {
  readonly name: string;
  readonly ready: boolean;
}

export type Readiness = () => Promise<readonly SourceReadiness[]>;

/**
 * Readiness of every source: one trivial read (`SELECT 1`, one row, tiny caps)
 * through the source's own read path, inside its read-only transaction. Why a
 * probe failed goes to the log, never to the caller.
 */
export function createReadiness(list: () => readonly SourceEntry[], log: Logger): Readiness {
  let last: { at: number; answer: Promise<readonly SourceReadiness[]> } | undefined;
  return () => {
    const now = Date.now();
    if (last !== undefined && now - last.at < REUSE_MS) return last.answer;
    const answer = Promise.all(list().map((entry) => probe(entry, log)));
    last = { at: now, answer };
    return answer;
  };
}

/** True when every source is ready (and there is at least one). */
export function allReady(states: readonly SourceReadiness[]): boolean {
  return states.length > 0 && states.every((s) => s.ready);
}

async function probe(entry: SourceEntry, log: Logger): Promise<SourceReadiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    await Promise.race([entry.source.read({ sql: 'SELECT 1', params: [], maxRows: 1, maxBytes: 1024 }), timeout]);
    return { name: entry.name, ready: true };
  } catch (error) {
    log.warn({ err: error, source: entry.name }, 'readiness: the source did not answer its probe');
    return { name: entry.name, ready: false };
  } finally {
    clearTimeout(timer);
  }
}
