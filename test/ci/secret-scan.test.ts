/**
 * The secret scan that CI runs over the tree (scripts/secret-scan.mjs): it must flag
 * the made-up leak kept in test/fixtures/secret-scan, name file and line without
 * printing the secret, pass a clean folder, and honour an explicit allow marker.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawn.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'secret-scan.mjs');
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'secret-scan');
const temp = mkdtempSync(join(tmpdir(), 'bastion-scan-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function scan(...paths: string[]): { code: number | null; out: string } {
  const run = spawnSync(process.execPath, [SCRIPT, ...paths], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { code: run.status, out: run.stdout + run.stderr };
}

describe('secret scan', () => {
  it('flags the committed fixture leak, naming file and line but not the secret', () => {
    const { code, out } = scan(FIXTURE);
    expect(code).toBe(1);
    expect(out).toMatch(/leaked\.env\.txt:3: possible aws_access_key_id/);
    expect(out).toMatch(/leaked\.env\.txt:4: possible github_token/);
    expect(out).toMatch(/leaked\.env\.txt:5: possible stripe_secret_key/);
    const aws = /AKIA[A-Z0-9]{16}/.exec(readFileSync(join(FIXTURE, 'leaked.env.txt'), 'utf8'))?.[0];
    expect(aws).toBeDefined();
    expect(out).not.toContain(aws);
  });

  it('passes a clean folder, and a made-up secret marked as allowed', () => {
    writeFileSync(join(temp, 'clean.ts'), "const password = process.env['DB_PASSWORD'];\nexport const token = readToken();\n");
    writeFileSync(join(temp, 'allowed.ts'), "// secret-scan: allow (made up)\nconst jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWZha2U';\n");
    expect(scan(temp).code).toBe(0);
  });

  it('the tracked tree is clean (the fixture aside)', () => {
    const { code, out } = scan();
    expect(out).toContain('no secrets found');
    expect(code).toBe(0);
  });
});
