#!/usr/bin/env node
/**
 * Top self-time functions of a V8 .cpuprofile (as written by node --cpu-prof).
 *
 *   BENCH_CPU_PROF=1 npm run bench        # writes bench/results/prof/*.cpuprofile
 *   node bench/profile-summary.mjs bench/results/prof/bastion-stdio.cpuprofile [top=25] [calls]
 *
 * With `calls` (throughput.<target>.totalCalls in bench/results/latest.json) each
 * line also shows microseconds per call.
 *
 * Self time is attributed per function+location; a second table groups it by
 * package / area (node internals, pg, MCP SDK, zod, Bastion's own dist/ ...).
 */
import { readFileSync } from 'node:fs';

const [file, topArg, callsArg] = process.argv.slice(2);
const calls = callsArg ? Number(callsArg) : undefined;
if (!file) {
  process.stderr.write('usage: profile-summary.mjs FILE.cpuprofile [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Sample i lasted timeDeltas[i + 1] (the delta before the next sample); close enough for totals.
const selfUs = new Map();
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = timeDeltas[i + 1] ?? 0;
  selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, 'dist/')
    .replace(/^.*\/bench\//, 'bench/');

const byFn = new Map();
const byArea = new Map();
let idle = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const name = callFrame.functionName || '(anonymous)';
  if (name === '(idle)') idle += us;
  const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
  const key = `${name}  ${where}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  byArea.set(area(callFrame.url, name), (byArea.get(area(callFrame.url, name)) ?? 0) + us);
}

function area(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native/builtin)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/dist/')) return `bastion ${shortUrl(url).replace(/^dist\//, '')}`;
  return shortUrl(url);
}

const busy = total - idle;
const pct = (us) => `${((us / busy) * 100).toFixed(1)}%`.padStart(6);
const print = (title, map) => {
  process.stdout.write(`\n${title}\n`);
  const rows = [...map.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, us] of rows) {
    const perCall = calls ? `${(us / calls).toFixed(1).padStart(7)} us/call  ` : '';
    process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${perCall}${k}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)${calls ? `, ${calls} calls, ${(busy / calls).toFixed(1)} us busy per call` : ''}\n`);
print('top self time by function', byFn);
print('self time by package / area', byArea);
