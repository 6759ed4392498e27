/**
 * Reading the audit chains a spawned server wrote: each process writes its own chain in
 * `<audit folder>/audit/<instance>/audit.jsonl`, under an instance name made at its start.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The `audit.jsonl` text of every chain in an audit folder, by instance ('' for a chain with no file yet).
 * `which`: every chain, only servers' chains, or only the chains of `bastion approvals` runs (`cli-…`).
 */
export function chainTexts(auditDir: string, which: 'all' | 'servers' | 'cli' = 'all'): Map<string, string> {
  const root = join(auditDir, 'audit');
  const texts = new Map<string, string>();
  if (!existsSync(root)) return texts;
  for (const instance of readdirSync(root).sort()) {
    // The chain index (chains.jsonl, its head and lock) sits beside the chains' folders.
    if (!lstatSync(join(root, instance)).isDirectory()) continue;
    if (which !== 'all' && instance.startsWith('cli-') !== (which === 'cli')) continue;
    const file = join(root, instance, 'audit.jsonl');
    texts.set(instance, existsSync(file) ? readFileSync(file, 'utf8') : '');
  }
  return texts;
}

/** The `audit.jsonl` text of the folder's one server chain: for a test that started one server on it. */
export function onlyChainText(auditDir: string): string {
  const texts = [...chainTexts(auditDir, 'servers').values()];
  if (texts.length !== 1) throw new Error(`expected one server audit chain in ${auditDir}, found ${texts.length}`);
  return texts[0] ?? '';
}

/** Every complete line of a chain's text parsed as a record (a torn last line after kill -9 is left out). */
export function recordsOf(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
