// Builds the demo database once, at build time, so the server starts in well
// under a second instead of running initdb (~3-7 s) on every start.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const seed = readFileSync(join(root, 'demo', 'seed.sql'), 'utf8');
const out = join(root, 'dist', 'demo');
const tarball = join(out, 'pgdata.tar.gz');
const stamp = join(out, 'seed.sha256');
const hash = createHash('sha256').update(seed).update(process.version).digest('hex');

if (existsSync(tarball) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) process.exit(0);

mkdirSync(out, { recursive: true });
const db = await PGlite.create();
await db.exec(seed);
const dump = await db.dumpDataDir('gzip');
writeFileSync(tarball, Buffer.from(await dump.arrayBuffer()));
writeFileSync(stamp, hash);
await db.close();
console.error(`demo database written to ${tarball} (${dump.size} bytes)`);
