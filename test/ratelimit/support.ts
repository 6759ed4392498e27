/** Shared pieces of the rate-limit suites: configs through the real schema, a log you can read, principals. */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Principal } from '../../src/auth/identity/principal.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import type { Logger } from '../../src/log/logger.js';

export function config(extra: Record<string, unknown> = {}): BastionConfig {
  return configSchema.parse({ sources: { demo: { engine: 'pglite' } }, ...extra });
}

/** A principal nobody else uses, so runs against a shared Redis never count each other's calls. */
export function freshPrincipal(role = 'reader'): Principal {
  return { id: `key:${randomBytes(8).toString('hex')}`, kind: 'api_key', role, scopes: [] };
}

/** A source name (an identifier) nobody else uses. */
export function freshSourceName(): string {
  return `s_${randomBytes(6).toString('hex')}`;
}

export interface CapturedLog {
  readonly log: Logger;
  readonly lines: Record<string, unknown>[];
  /** Lines at `level` whose message contains `text`. */
  count(level: 'debug' | 'info' | 'warn' | 'error', text: string): number;
}

export function captureLog(): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const levels = { debug: 20, info: 30, warn: 40, error: 50 } as const;
  return {
    log,
    lines,
    count: (level, text) => lines.filter((l) => l['level'] === levels[level] && String(l['msg']).includes(text)).length,
  };
}

/** What a settled call came to: 'ok', or the BastionError code it was refused with. */
export async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (error instanceof BastionError) return error.code;
    throw error;
  }
}

/** Runs `n` calls one after the other and returns their outcomes. */
export async function outcomes(n: number, call: () => Promise<unknown>): Promise<string[]> {
  const results: string[] = [];
  for (let i = 0; i < n; i++) results.push(await outcome(call()));
  return results;
}

export const times = (n: number, value: string): string[] => new Array<string>(n).fill(value);
