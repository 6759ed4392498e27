import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import type { WorkerInit } from './worker.js';

/** The demo database: a prebuilt data directory (made by `npm run build`), or the seed SQL. */
export function demoInit(): WorkerInit {
  const root = packageRoot();
  const tarball = join(root, 'dist', 'demo', 'pgdata.tar.gz');
  if (existsSync(tarball)) return { tarball };
  return { seedSql: readFileSync(join(root, 'demo', 'seed.sql'), 'utf8') };
}
