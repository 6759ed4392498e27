#!/usr/bin/env node
/**
 * Secret scan: looks for credentials with an unmistakable shape (private-key blocks,
 * JWTs, `ak_` API keys, AWS, GCP, Azure, GitHub, GitLab, Slack, Stripe, OpenAI,
 * Anthropic and npm tokens) in the files git tracks, or in the files named on the
 * command line, or (--staged) in what is staged for commit. It uses the shapes of
 * Bastion's own redactor (dist/log/secret-rules.js: run `npm run build` first) but
 * leaves out the label rules (`password=…`), which would flag code. A made-up secret
 * that must stay in the tree is marked with `secret-scan: allow` on its line or the
 * line before. Prints file:line and the kind of secret, never the secret; exits 1 on
 * any finding.
 *
 *   node scripts/secret-scan.mjs                 # the tracked tree
 *   node scripts/secret-scan.mjs --staged        # staged files (pre-commit hook)
 *   node scripts/secret-scan.mjs FILE|DIR ...    # those paths
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Label and URL rules match ordinary code (`token = …`); only token shapes are certain enough here. */
const NOISY = new Set(['pair', 'url_credentials', 'authorization', 'bearer_token', 'sql_password']);
/** Fixtures that exist to be flagged by the test of this scanner. */
const EXCLUDED = ['test/fixtures/secret-scan/'];
const ALLOW = 'secret-scan: allow';

const { SECRET_RULES } = await import(pathToFileURL(join(ROOT, 'dist/log/secret-rules.js')).href);
const rules = SECRET_RULES.filter((rule) => !NOISY.has(rule.kind));

function gitFiles(args) {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.length > 0 && !EXCLUDED.some((prefix) => f.startsWith(prefix)))
    .map((f) => join(ROOT, f));
}

function walk(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' || name === '.git' ? [] : walk(join(path, name))));
}

const args = process.argv.slice(2);
const files = args.length === 0 ? gitFiles(['ls-files']) : args[0] === '--staged' ? gitFiles(['diff', '--cached', '--name-only', '--diff-filter=ACMR']) : args.flatMap(walk);

let findings = 0;
for (const file of files) {
  let text;
  try {
    if (statSync(file).size > 5 * 1024 * 1024) continue;
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted or unreadable
  }
  if (text.includes('\u0000')) continue;
  const lines = text.split('\n');
  for (const rule of rules) {
    const pattern = new RegExp(rule.pattern.source, rule.pattern.flags.includes('g') ? rule.pattern.flags : `${rule.pattern.flags}g`);
    for (const match of text.matchAll(pattern)) {
      const line = text.slice(0, match.index).split('\n').length;
      if (lines[line - 1]?.includes(ALLOW) || lines[line - 2]?.includes(ALLOW)) continue;
      findings++;
      process.stdout.write(`${relative(process.cwd(), file) || file}:${line}: possible ${rule.kind}\n`);
    }
  }
}
if (findings > 0) {
  process.stdout.write(`secret scan: ${findings} finding(s). Remove the secret (and rotate it), or mark a made-up one with "${ALLOW}".\n`);
  process.exit(1);
}
process.stdout.write(`secret scan: ${files.length} file(s), no secrets found.\n`);
