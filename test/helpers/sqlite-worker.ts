import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/** The SQLite worker runs compiled, from dist/ (like PGlite's); compile it when dist/ is older than the source. */
export function ensureWorkerBuilt(): void {
  const require = createRequire(import.meta.url);
  const source = require.resolve('../../src/engines/sqlite/worker.ts');
  const target = join(dirname(require.resolve('../../package.json')), 'dist', 'sources', 'sqlite', 'worker.js');
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) return;
  const output = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, output.outputText);
}
