/**
 * The import graph of src/, read with TypeScript's own pre-processor: every static,
 * type-only and dynamic `import(...)` of a relative module, as an edge between files.
 * The layout test judges the tree with it; it has no opinion of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export interface ImportGraph {
  /** Files relative to the root, e.g. `src/engine/source.ts`. */
  readonly files: readonly string[];
  /** For each file, the relative files it imports, and the package names it imports. */
  readonly imports: ReadonlyMap<string, { readonly files: ReadonlySet<string>; readonly packages: ReadonlySet<string> }>;
}

export function readImportGraph(root: string, folder = 'src'): ImportGraph {
  const files = listTs(join(root, folder)).map((f) => relative(root, f));
  const imports = new Map<string, { files: Set<string>; packages: Set<string> }>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    const entry = { files: new Set<string>(), packages: new Set<string>() };
    for (const ref of info.importedFiles) {
      if (ref.fileName.startsWith('.')) entry.files.add(normalize(join(dirname(file), ref.fileName)).replace(/\.js$/, '.ts'));
      else if (!ref.fileName.startsWith('node:')) entry.packages.add(ref.fileName);
    }
    imports.set(file, entry);
  }
  return { files, imports };
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The folder-to-folder edges of a file graph (a file's folder is its directory). */
export function folderEdges(graph: ImportGraph): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const [file, { files }] of graph.imports) {
    const from = dirname(file);
    const out = edges.get(from) ?? new Set<string>();
    edges.set(from, out);
    for (const target of files) if (dirname(target) !== from) out.add(dirname(target));
  }
  return edges;
}

export function fileEdges(graph: ImportGraph): Map<string, Set<string>> {
  return new Map([...graph.imports].map(([file, { files }]) => [file, new Set(files)]));
}

/** The strongly connected components with more than one member (Tarjan): each one is a cycle. */
export function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
