import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditFileSink, argsShape, type AuditEvent, type AuditKey } from '../../src/audit/index.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'bastion-audit-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function callEvent(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    principal: { id: `key:k${i % 7}`, kind: 'api_key', role: 'reader' },
    session: 's-1',
    correlation_id: `c-${i}`,
    tool: 'query',
    source: 'app',
    fingerprint: 'f00d',
    args_shape: argsShape({ sql: `select ${i}`, max_rows: 10 }),
    decision: 'allow',
    rows: i % 13,
    bytes: 100 + i,
    duration_ms: 3,
    outcome: 'ok',
    ...extra,
  };
}

/** Writes `count` records through the real sink and closes it. */
export async function writeLog(dir: string, count: number, key?: AuditKey): Promise<void> {
  const sink = await AuditFileSink.open({ dir, key, instance: 'test-1' });
  await Promise.all(Array.from({ length: count }, (_, i) => sink.append(callEvent(i + 1))));
  await sink.close();
}

export async function readLines(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'audit.jsonl'), 'utf8');
  return text.split('\n').slice(0, -1);
}

export async function writeLines(dir: string, lines: readonly string[]): Promise<void> {
  await writeFile(join(dir, 'audit.jsonl'), lines.map((l) => `${l}\n`).join(''));
}

/** True when the text holds a control character other than LF, a C1 control, U+2028/2029 or a bidi override. */
export function hasUnsafeCharacter(text: string): boolean {
  return [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e);
  });
}
