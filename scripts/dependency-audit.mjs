#!/usr/bin/env node
/**
 * The dependency audit gate of the security scan: production dependencies only,
 * failing on a high or critical advisory.
 *
 *   node scripts/dependency-audit.mjs               runs `npm audit --omit=dev --json`
 *   node scripts/dependency-audit.mjs --from-json F judges a saved report (tests, air-gapped review)
 *
 * Exit 0: no high or critical advisory. Exit 1: at least one, or a report this
 * script does not understand (fail closed). When the advisory service cannot be
 * asked (offline, a proxy refusing the request) it says loudly that the audit was
 * NOT performed and exits 0 — or 2 with BASTION_AUDIT_REQUIRED=1, for a pipeline
 * that must not ship unaudited.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const FAILING = new Set(['high', 'critical']);

function loadReport() {
  const at = process.argv.indexOf('--from-json');
  if (at !== -1) return readFileSync(process.argv[at + 1] ?? '', 'utf8');
  try {
    return execFileSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (error) {
    // npm audit exits non-zero when it finds advisories, and when it cannot ask: the JSON says which.
    return String(error.stdout ?? '');
  }
}

/** The advisories' titles behind one vulnerable package (`via` holds objects, or names of other vulnerable packages). */
function titles(entry) {
  return (entry.via ?? []).map((via) => (typeof via === 'string' ? `via ${via}` : `${via.title ?? 'advisory'}${via.url ? ` (${via.url})` : ''}`));
}

let report;
try {
  report = JSON.parse(loadReport());
} catch {
  console.error('dependency audit: npm audit gave no JSON report; failing closed.');
  process.exit(1);
}

if (report.vulnerabilities !== undefined && typeof report.vulnerabilities === 'object') {
  const failing = Object.values(report.vulnerabilities).filter((entry) => FAILING.has(entry.severity));
  const counts = report.metadata?.vulnerabilities ?? {};
  const summary = ['critical', 'high', 'moderate', 'low'].map((level) => `${counts[level] ?? 0} ${level}`).join(', ');
  if (failing.length === 0) {
    console.log(`dependency audit: no high or critical advisories in production dependencies (${summary}).`);
    process.exit(0);
  }
  console.error(`dependency audit: ${failing.length} production package(s) with a high or critical advisory (${summary}):`);
  for (const entry of failing) {
    const fix = entry.fixAvailable === false ? 'no fix available' : 'fix available: npm audit fix';
    console.error(`  ${entry.name} [${entry.severity}] ${entry.range ?? ''} — ${titles(entry).join('; ')} — ${fix}`);
  }
  process.exit(1);
}

if (report.error !== undefined || report.statusCode !== undefined || /audit endpoint/i.test(String(report.message ?? ''))) {
  const why = String(report.message ?? report.error?.summary ?? 'no answer').split('\n')[0];
  console.error(`WARNING: the npm advisory service could not be asked (${why}); the dependency audit was NOT performed.`);
  process.exit(process.env.BASTION_AUDIT_REQUIRED === '1' ? 2 : 0);
}

console.error('dependency audit: the npm audit report has an unknown shape; failing closed.');
process.exit(1);
