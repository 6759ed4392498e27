/**
 * The dependency audit gate of the security scan (scripts/dependency-audit.mjs),
 * judged on saved `npm audit --json` reports: a high advisory in a production
 * dependency must fail the scan and be named; moderate ones pass; a report it
 * cannot read fails closed; an advisory service that cannot be asked is reported
 * as "NOT performed", never as a pass, and fails when an audit is required.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/spawn.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'dependency-audit.mjs');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'npm-audit');
const temp = mkdtempSync(join(tmpdir(), 'bastion-audit-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function gate(report: string, env: Record<string, string> = {}): { code: number | null; out: string } {
  const inherited = { ...process.env };
  delete inherited['BASTION_AUDIT_REQUIRED'];
  const run = spawnSync(process.execPath, [SCRIPT, '--from-json', report], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...inherited, ...env } });
  return { code: run.status, out: run.stdout + run.stderr };
}

describe('dependency audit gate', () => {
  it('fails on a high-severity advisory and names the package and the advisory', () => {
    const { code, out } = gate(join(FIXTURES, 'high.json'));
    expect(code).toBe(1);
    expect(out).toContain('example-parser [high]');
    expect(out).toContain('Prototype pollution in example-parser');
    expect(out).toContain('example-client [high]');
    // the low one is counted, not listed as failing
    expect(out).not.toContain('example-colors [');
  });

  it('fails on a critical advisory too', () => {
    const path = join(temp, 'critical.json');
    writeFileSync(path, JSON.stringify({ auditReportVersion: 2, vulnerabilities: { x: { name: 'x', severity: 'critical', via: [{ title: 'RCE' }], range: '*', fixAvailable: false } }, metadata: { vulnerabilities: { critical: 1 } } }));
    const { code, out } = gate(path);
    expect(code).toBe(1);
    expect(out).toContain('x [critical]');
    expect(out).toContain('no fix available');
  });

  it('passes moderate and low advisories', () => {
    const { code, out } = gate(join(FIXTURES, 'low-only.json'));
    expect(code).toBe(0);
    expect(out).toContain('1 moderate');
  });

  it('fails closed on a report it cannot read', () => {
    const garbage = join(temp, 'garbage.json');
    writeFileSync(garbage, 'not json');
    expect(gate(garbage).code).toBe(1);
    const odd = join(temp, 'odd.json');
    writeFileSync(odd, JSON.stringify({ advisories: {} }));
    expect(gate(odd).code).toBe(1);
  });

  it('an advisory service that cannot be asked is reported as NOT performed, and fails when an audit is required', () => {
    const soft = gate(join(FIXTURES, 'unreachable.json'));
    expect(soft.code).toBe(0);
    expect(soft.out).toContain('NOT performed');
    expect(soft.out).not.toMatch(/no high or critical/);
    const required = gate(join(FIXTURES, 'unreachable.json'), { BASTION_AUDIT_REQUIRED: '1' });
    expect(required.code).toBe(2);
  });
});
