/**
 * The layout of src/ stays what README's "How the code is laid out" says: data flows one
 * way (no folder imports a folder that imports it back, type-only and dynamic imports
 * included; no file-level cycle either), each engine is one self-contained folder reached
 * through the contract in src/engine/ and the loader in src/engines/index.ts, database
 * drivers are imported only by engines and Bastion's own state stores, and no source file
 * grows past 400 lines. ESLint's no-restricted-imports (eslint.config.js) says the same
 * while a file is being edited; this test reads the whole graph, so a cycle through
 * several folders cannot slip past it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cyclesOf, fileEdges, folderEdges, readImportGraph } from '../helpers/import-graph.js';
import { REPO_ROOT } from '../helpers/spawn.js';

const graph = readImportGraph(REPO_ROOT);
const ENGINES = 'src/engines/';
/** The one engine folder others may import: what PostgreSQL and PGlite share. */
const FAMILY = 'postgres-family';
/** Engines allowed to use the family folder. */
const FAMILY_MEMBERS: ReadonlySet<string> = new Set(['postgres', 'pglite']);

const engineOf = (file: string): string | undefined =>
  file.startsWith(ENGINES) && file.split('/').length > 3 ? file.split('/')[2] : undefined;
const isEntry = (file: string): boolean => /^src\/engines\/[^/]+\/index\.ts$/.test(file);

/** Every import that leaves its engine for another engine's folder or the loader. */
function crossEngineImports(): string[] {
  const found: string[] = [];
  for (const [file, { files }] of graph.imports) {
    const own = engineOf(file);
    if (own === undefined) continue;
    for (const target of files) {
      if (target === 'src/engines/index.ts') found.push(`${file} -> ${target} (the loader)`);
      const other = engineOf(target);
      if (other === undefined || other === own) continue;
      if (other === FAMILY && FAMILY_MEMBERS.has(own)) continue;
      found.push(`${file} -> ${target}`);
    }
  }
  return found;
}

/** Imports of an engine's modules from outside src/engines/: the core goes through the loader (src/engines/index.ts) only. */
function coreImportsOfEngines(): string[] {
  const found: string[] = [];
  for (const [file, { files }] of graph.imports) {
    if (file.startsWith(ENGINES)) continue;
    for (const target of files) {
      if (!target.startsWith(ENGINES)) continue;
      const loader = target === 'src/engines/index.ts';
      // The package's public surface re-exports the PostgreSQL family's policy from its entry.
      const publicApi = file === 'src/index.ts' && isEntry(target);
      if (!loader && !publicApi) found.push(`${file} -> ${target}`);
    }
  }
  return found;
}

/** The loader imports engine entries only, never an engine's internals. */
function loaderImportsOfInternals(): string[] {
  const loader = graph.imports.get('src/engines/index.ts');
  return [...(loader?.files ?? [])].filter((target) => target.startsWith(ENGINES) && !isEntry(target));
}

const DRIVERS = ['pg', 'pg-protocol', 'mysql2', 'mysql2/promise', 'better-sqlite3', '@electric-sql/pglite', 'libpg-query', 'pgsql-deparser', 'node-sql-parser'];
const isDriver = (name: string): boolean => DRIVERS.some((d) => name === d || name.startsWith(`${d}/`));
/** Bastion's own state in PostgreSQL (audit sink, approvals, API keys) uses pg: these are not engines. */
const STATE_STORES: ReadonlySet<string> = new Set([
  'src/util/state-pool.ts',
  'src/audit/pg-sink.ts',
  'src/audit/pg-verify.ts',
  'src/approvals/pg-store.ts',
  'src/auth/api-keys/postgres-store.ts',
]);

function driverImportsOutsideEngines(): string[] {
  const found: string[] = [];
  for (const [file, { packages }] of graph.imports) {
    if (file.startsWith(ENGINES)) continue;
    for (const name of packages) {
      if (!isDriver(name)) continue;
      if (STATE_STORES.has(file) && name === 'pg') continue;
      found.push(`${file} imports ${name}`);
    }
  }
  return found;
}

describe('code layout', () => {
  it('finds a cycle when there is one (the checker itself)', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(cyclesOf(edges)).toEqual([['a', 'b', 'c']]);
    expect(cyclesOf(new Map([['a', new Set(['b'])], ['b', new Set<string>()]]))).toEqual([]);
  });

  it('reads the real tree (the engines, the contract and the loader are where the README says)', () => {
    for (const file of ['src/engine/source.ts', 'src/engine/policy.ts', 'src/engine/registry.ts', 'src/engines/index.ts', 'src/engines/sqlite/index.ts', 'src/engines/mysql/index.ts', 'src/engines/postgres/index.ts', 'src/engines/pglite/index.ts', 'src/engines/postgres-family/index.ts']) {
      expect(graph.imports.has(file), file).toBe(true);
    }
    expect(graph.files.length).toBeGreaterThan(150);
  });

  it('no folder of src/ imports a folder that imports it back (type-only and dynamic imports included)', () => {
    expect(cyclesOf(folderEdges(graph))).toEqual([]);
  });

  it('no file of src/ imports a file that imports it back', () => {
    expect(cyclesOf(fileEdges(graph))).toEqual([]);
  });

  it('no engine imports another engine or the loader (PostgreSQL and PGlite share the family folder)', () => {
    expect(crossEngineImports()).toEqual([]);
  });

  it('the core reaches engines only through the contract and the loader, never an engine\'s own modules', () => {
    expect(coreImportsOfEngines()).toEqual([]);
    expect(loaderImportsOfInternals()).toEqual([]);
  });

  it('database drivers and parsers are imported only inside src/engines/ and by the state stores (pg)', () => {
    expect(driverImportsOutsideEngines()).toEqual([]);
  });

  it('no source file is over 400 lines', () => {
    const long = graph.files
      .map((file) => ({ file, lines: readFileSync(join(REPO_ROOT, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 400);
    expect(long).toEqual([]);
  });
});
