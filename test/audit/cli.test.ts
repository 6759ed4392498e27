import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditFileSink, argsShape } from '../../src/audit/index.js';
import { formatAuditLine, registerAuditCommand } from '../../src/cli/audit.js';
import { captureOutput, callEvent, hasUnsafeCharacter, readLines, removeDir, tempDir, writeLines, writeLog } from './helpers.js';

let dir: string;
const output = captureOutput();

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

async function run(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  // Progress lines go to a sink: these tests read the command's stdout and errors only.
  registerAuditCommand(program, { progress: { stream: { isTTY: false, write: () => true } } });
  await program.parseAsync(['node', 'bastion', 'audit', ...args]);
}

describe('bastion audit verify', () => {
  it('prints OK with the count for a correct log', async () => {
    await writeLog(dir, 12);
    await run('--dir', dir, 'verify');
    expect(output.out).toMatch(/^OK: 12 record\(s\) verified/);
    expect(process.exitCode).toBeUndefined();
  });

  it('names the first bad record and exits 1', async () => {
    await writeLog(dir, 12);
    const lines = await readLines(dir);
    lines[6] = lines[6]!.replace('"decision":"allow"', '"decision":"deny"');
    await writeLines(dir, lines);
    await run('--dir', dir, 'verify');
    expect(output.out).toContain('FAILED at audit.jsonl line 7, seq 7: HASH_MISMATCH');
    expect(process.exitCode).toBe(1);
  });

  it('with --key-env verifies an HMAC log, and fails without the key', async () => {
    await writeLog(dir, 5, 'secret-key-material');
    vi.stubEnv('BASTION_TEST_AUDIT_KEY', 'secret-key-material');
    await run('--dir', dir, '--key-env', 'BASTION_TEST_AUDIT_KEY', 'verify');
    expect(output.out).toMatch(/^OK: 5 record/);
    output.clear();
    await run('--dir', dir, 'verify');
    expect(output.out).toContain('FAILED at audit.jsonl line 1, seq 1: HASH_MISMATCH');
    vi.unstubAllEnvs();
  });
});

describe('bastion audit tail', () => {
  it('prints the last n records, one line each, for a person', async () => {
    await writeLog(dir, 30);
    await run('--dir', dir, 'tail', '-n', '3');
    const lines = output.out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z #30 key:k\d\(api_key\/reader\) query source=app allow\/ok rows=\d+ bytes=\d+ 3ms$/);
  });

  it('a crafted tool name or principal cannot inject fake lines or ANSI escapes', async () => {
    const sink = await AuditFileSink.open({ dir, instance: 'i-1' });
    const evil = 'query\n2026-01-01T00:00:00.000Z #999 admin(local/admin) execute allow/ok\u001b[2J\u001b]0;pwned\u0007\r\u2028\u0085\u202e';
    await sink.append(callEvent(1, { tool: evil, principal: { id: evil, kind: 'api_key', role: evil }, args_shape: argsShape({ evil }) }));
    await sink.close();
    await run('--dir', dir, 'tail');
    expect(output.out.split('\n')).toHaveLength(2);
    expect(hasUnsafeCharacter(output.out)).toBe(false);
    expect(output.out).toContain('\\u{1b}[2J');
  });

  it('formats an unparsable line safely', () => {
    expect(formatAuditLine('\u001b[31mnot json')).toBe('(unparsable line: \\u{1b}[31mnot json)');
  });
});
