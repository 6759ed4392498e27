import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/**
 * The SQLite worker runs compiled, from dist/ (like PGlite's); compile it (worker.ts and its
 * worker-*.ts siblings, the only modules it loads) when dist/ is older than the source.
 */
export function ensureWorkerBuilt(): void {
  const require = createRequire(import.meta.url);
  const folder = dirname(require.resolve('../../src/engines/sqlite/worker.ts'));
  const targetFolder = join(dirname(require.resolve('../../package.json')), 'dist', 'engines', 'sqlite');
  for (const name of readdirSync(folder).filter((file) => /^worker(-[a-z]+)?\.ts$/.test(file))) {
    const source = join(folder, name);
    const target = join(targetFolder, name.replace(/\.ts$/, '.js'));
    if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) continue;
    const output = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    mkdirSync(targetFolder, { recursive: true });
    writeFileSync(target, output.outputText);
  }
}
