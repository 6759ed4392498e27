import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/server';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeContext, contextFor } from '../../src/app.js';
import { roleOf, compileRole } from '../../src/authorize/roles.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { registerFileTools } from '../../src/files/tools.js';
import { createLogger } from '../../src/log/logger.js';
import type { ServerContext, ToolCall } from '../../src/session/context.js';
import { dispatchCalls } from '../../src/tools/dispatch.js';

/** In every file outside the root: must never appear in any answer. */
const OUTSIDE = `outsidecanary${randomBytes(6).toString('hex')}`;
/** In every protected file inside the root: must never appear either. */
const PROTECTED = `protectedcanary${randomBytes(6).toString('hex')}`;
const INSIDE = `insidemark${randomBytes(6).toString('hex')}`;

const DENIED_FILES = [
  '.env',
  '.ENV',
  '.Env.local',
  'config/.env.production',
  '.ssh/id_rsa',
  'id_ed25519',
  'server.pem',
  'tls.KEY',
  '.git/config',
  '.npmrc',
  '.netrc',
  '\uFF0E\uFF45\uFF4E\uFF56', // fullwidth ．ｅｎｖ
  '.env.cafe\u0301', // decomposed (NFD) é
  '.e\u200Bnv', // zero-width space inside
  '\uFF29\uFF24_rsa', // fullwidth ＩＤ_rsa
];

let base: string;
let root: string;
let big: string;
let ctx: ServerContext;
let client: Client;
let server: McpServer;

function buildLayout(): void {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'bastion-files-')));
  root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'docs'), { recursive: true });
  mkdirSync(outside);
  mkdirSync(join(base, 'root_evil'));
  writeFileSync(join(base, 'root_evil', 'secret.txt'), `sibling ${OUTSIDE}\n`);
  writeFileSync(join(outside, 'secret.txt'), `outside ${OUTSIDE}\n`);
  writeFileSync(join(outside, 'linked.txt'), `hard ${OUTSIDE}\n`);

  writeFileSync(join(root, 'readme.md'), `# readme\nhello ${INSIDE}\n`);
  writeFileSync(join(root, 'docs', 'guide.md'), `first line\nsecond ${INSIDE} line\n`);
  writeFileSync(join(root, 'docs', 'notes.txt'), 'notes\n');
  writeFileSync(join(root, 'binary.bin'), Buffer.from([1, 2, 0, 3]));
  big = Array.from({ length: 3000 }, (_, i) => `line ${i} é中😀 ${'x'.repeat(i % 17)}`).join('\n');
  writeFileSync(join(root, 'big.txt'), big);
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  for (const name of DENIED_FILES) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), `${PROTECTED}\n`);
  }

  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync('/', join(root, 'slash'));
  symlinkSync(join(outside, 'missing.txt'), join(root, 'dangling'));
  symlinkSync('readme.md', join(root, 'link-in.md'));
  symlinkSync('.env', join(root, 'innocent.txt'));
  linkSync(join(outside, 'linked.txt'), join(root, 'hard.txt'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
}

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** Everything the client received, as one string. */
function answer(result: CallToolResult): string {
  return JSON.stringify(result);
}

function data<T>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool failed: ${answer(result)}`);
  return result.structuredContent as T;
}

function expectClean(result: CallToolResult): void {
  const text = answer(result);
  expect(text).not.toContain(OUTSIDE);
  expect(text).not.toContain(PROTECTED);
  // Roots and resolved host paths are never echoed.
  expect(text).not.toContain(base);
}

function configFor(roots: string[], stateDir: string): BastionConfig {
  return configSchema.parse({
    sources: { demo: { engine: 'pglite' } },
    rate_limits: { per_principal_per_minute: 1_000_000 },
    state: { dir: stateDir },
    audit: { dir: stateDir },
    files: { roots, max_read_bytes: 4096, max_results: 50 },
  });
}

let stateDir: string;

beforeAll(async () => {
  buildLayout();
  stateDir = mkdtempSync(join(tmpdir(), 'bastion-files-state-'));
  const config = configFor([root, join(base, 'second')], stateDir);
  mkdirSync(join(base, 'second'));
  writeFileSync(join(base, 'second', 'other.txt'), 'second root\n');
  ctx = await contextFor(config, createLogger('silent'));
  const toolCall: ToolCall = { ctx, principal: { id: 'test', kind: 'local', role: 'admin', scopes: [] }, role: roleOf(ctx.roles, 'admin'), session: 'test', elicitation: false };
  server = new McpServer({ name: 'bastion', version: 'test' }, { capabilities: { tools: { listChanged: false } } });
  const tools = registerFileTools(server, toolCall, config.files);
  dispatchCalls(server, toolCall, tools);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'files-test', version: '1' });
  await client.connect(clientSide);
});

afterAll(async () => {
  await client.close();
  await server.close();
  await closeContext(ctx);
  rmSync(base, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

interface Entry {
  path: string;
  name: string;
  type: string;
}

describe('list_files', () => {
  it('lists the root without protected names, showing symlinks as symlinks without following them', async () => {
    const result = await call('list_files', {});
    expectClean(result);
    const entries = data<{ entries: Entry[] }>(result).entries;
    const byName = new Map(entries.map((e) => [e.name, e.type]));
    expect(byName.get('readme.md')).toBe('file');
    expect(byName.get('docs')).toBe('dir');
    expect(byName.get('.git')).toBe('dir');
    for (const link of ['link-out.txt', 'slash', 'dangling', 'link-in.md', 'innocent.txt']) expect(byName.get(link)).toBe('symlink');
    for (const name of DENIED_FILES.filter((n) => !n.includes('/'))) expect(byName.has(name), name).toBe(false);
    expect(byName.has('.ssh')).toBe(false);
    expect(byName.get('config')).toBe('dir');
  });

  it('recursive listing never enters a symlinked folder nor shows a protected file', async () => {
    const result = await call('list_files', { recursive: true, max_entries: 10_000 });
    expectClean(result);
    const paths = data<{ entries: Entry[] }>(result).entries.map((e) => e.path);
    expect(paths).toContain('docs/guide.md');
    expect(paths).toContain('.git/HEAD');
    expect(paths).not.toContain('.git/config');
    expect(paths.some((p) => p.startsWith('slash/'))).toBe(false);
    expect(paths.some((p) => p.startsWith('config/.env'))).toBe(false);
  });

  it('stops at max_entries and says so', async () => {
    const result = await call('list_files', { recursive: true, max_entries: 2 });
    expect(data<{ entries: Entry[]; truncated: boolean; reason: string }>(result)).toMatchObject({ truncated: true, reason: 'entries' });
  });

  it('refuses to list through a symlink to /, a sibling-prefix folder or a protected folder', async () => {
    for (const path of ['slash', 'slash/etc', `${base}/root_evil`, '../root_evil', '.ssh', '.git/config', '/proc/self', '/dev']) {
      const result = await call('list_files', { path });
      expect(result.isError, path).toBe(true);
      expectClean(result);
    }
  });
});

describe('read_file', () => {
  it('reads a text file inside the root, and through an in-root symlink', async () => {
    expect(data<{ text: string }>(await call('read_file', { path: 'readme.md' })).text).toContain(INSIDE);
    expect(data<{ text: string; path: string }>(await call('read_file', { path: 'link-in.md' }))).toMatchObject({ path: 'readme.md' });
    expect(data<{ text: string }>(await call('read_file', { path: `${root}/docs/guide.md` })).text).toContain(INSIDE);
    expect(data<{ text: string }>(await call('read_file', { path: `${base}/second/other.txt` })).text).toBe('second root\n');
  });

  const attacks = [
    'link-out.txt',
    'slash/etc/passwd',
    'dangling',
    'hard.txt',
    'fifo',
    'innocent.txt',
    '../root_evil/secret.txt',
    '../outside/secret.txt',
    'docs/../../outside/secret.txt',
    '..\\outside\\secret.txt',
    '%2e%2e/outside/secret.txt',
    '%2E%2E%2Foutside%2Fsecret.txt',
    '%252e%252e/outside/secret.txt',
    '..%5coutside%5csecret.txt',
    'readme.md\0.txt',
    'docs/\u0007guide.md',
    '/etc/passwd',
    '/proc/self/environ',
    '/dev/zero',
    '/sys/kernel/hostname',
    '\uFF0E\uFF0E/outside/secret.txt',
    'config//.env.production',
    './.env',
    '.ssh',
    '.git',
    'docs',
  ];

  it.each(attacks)('refuses %j and returns nothing from outside', async (path) => {
    const result = await call('read_file', { path });
    expect(result.isError).toBe(true);
    expectClean(result);
  });

  it('refuses paths outside the roots by absolute path: the sibling prefix and the real outside file', async () => {
    for (const path of [`${base}/root_evil/secret.txt`, `${base}/outside/secret.txt`, `${root}/slash${base}/outside/secret.txt`, `${root}_evil/secret.txt`]) {
      const result = await call('read_file', { path });
      expect(result.isError, path).toBe(true);
      expectClean(result);
    }
  });

  it.each(DENIED_FILES)('refuses the protected file %j, by relative and absolute path', async (name) => {
    for (const path of [name, `${root}/${name}`]) {
      const result = await call('read_file', { path });
      expect(result.isError).toBe(true);
      expectClean(result);
    }
  });

  it('refuses a binary file with a clear code', async () => {
    const result = await call('read_file', { path: 'binary.bin' });
    expect(answer(result)).toContain('FILE_NOT_TEXT');
  });

  it('reads a large file in pieces that join to exactly the original, never splitting a character', async () => {
    const pieces: string[] = [];
    let offset: number | undefined = 0;
    let calls = 0;
    while (offset !== undefined && calls++ < 1000) {
      const piece: { text: string; truncated: boolean; next_offset?: number; length: number } = data(await call('read_file', { path: 'big.txt', offset, length: 3000 }));
      expect(piece.length).toBeLessThanOrEqual(3000);
      expect(piece.text).not.toContain('\uFFFD');
      pieces.push(piece.text);
      offset = piece.truncated ? piece.next_offset : undefined;
    }
    expect(pieces.length).toBeGreaterThan(10);
    expect(pieces.join('')).toBe(big);
  });

  it('caps one read at max_read_bytes, whatever length asks', async () => {
    const piece = data<{ length: number; truncated: boolean; next_offset: number }>(await call('read_file', { path: 'big.txt', length: 1_000_000 }));
    expect(piece.length).toBeLessThanOrEqual(4096);
    expect(piece.truncated).toBe(true);
    expect(piece.next_offset).toBe(piece.length);
  });
});

describe('search_files', () => {
  it('finds by name, never returning protected, outside or symlinked files', async () => {
    const result = await call('search_files', { name: '*' });
    expectClean(result);
    const paths = data<{ matches: { path: string }[] }>(result).matches.map((m) => m.path);
    expect(paths).toContain('readme.md');
    expect(paths).toContain('docs/guide.md');
    for (const hidden of ['link-out.txt', 'link-in.md', 'hard.txt', 'fifo', 'innocent.txt', '.git/config', '.env', 'server.pem']) expect(paths).not.toContain(hidden);
    expect(paths.some((p) => p.startsWith('slash/') || p.startsWith('.ssh'))).toBe(false);
  });

  it('finds by glob', async () => {
    const paths = data<{ matches: { path: string }[] }>(await call('search_files', { name: '*.md' })).matches.map((m) => m.path);
    expect(paths.sort()).toEqual(['docs/guide.md', 'readme.md']);
  });

  it('finds content with line numbers, and never the content of protected or outside files', async () => {
    const found = data<{ matches: { path: string; line: number; text: string }[] }>(await call('search_files', { contains: INSIDE }));
    expect(found.matches).toContainEqual({ path: 'docs/guide.md', line: 2, text: `second ${INSIDE} line` });
    for (const needle of [OUTSIDE, PROTECTED, 'outside', 'sibling', 'hard']) {
      const result = await call('search_files', { contains: needle });
      expectClean(result);
      expect(data<{ matches: unknown[] }>(result).matches).toEqual([]);
    }
  });

  it('stops at max_results and says why', async () => {
    const result = data<{ matches: unknown[]; truncated: boolean; reason: string }>(await call('search_files', { contains: 'line', max_results: 3 }));
    expect(result).toMatchObject({ truncated: true, reason: 'results' });
    expect(result.matches).toHaveLength(3);
  });

  it('a long matched line comes back as a window marked cut, never silently shortened', async () => {
    const folder = join(root, 'long');
    mkdirSync(folder);
    const line = `${'a'.repeat(500)}NEEDLE${'b'.repeat(500)}`;
    writeFileSync(join(folder, 'wide.txt'), `${line}\nshort NEEDLE line\n`);
    try {
      const found = data<{ matches: { line: number; text: string; cut?: boolean }[] }>(await call('search_files', { path: 'long', contains: 'NEEDLE' }));
      const [wide, short] = found.matches;
      expect(wide?.cut).toBe(true);
      expect(wide?.text).toMatch(/^…a+NEEDLEb+…$/);
      expect(wide?.text).toHaveLength(202);
      expect(short).toEqual({ path: 'long/wide.txt', line: 2, text: 'short NEEDLE line' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('refuses to search through a symlink to / or outside the roots', async () => {
    for (const path of ['slash', '/etc', `${base}/outside`, '../outside']) {
      const result = await call('search_files', { path, contains: 'root' });
      expect(result.isError, path).toBe(true);
      expectClean(result);
    }
  });
});

describe('swap races', () => {
  /**
   * A file and a folder inside the root keep flipping between a safe regular
   * entry and a symlink to outside content while read_file runs; however the
   * check and the open interleave, no answer may carry the outside canary.
   */
  it('never returns outside content while a path flips between a file and a symlink to outside', async () => {
    const target = join(root, 'swap.txt');
    const folder = join(root, 'swapdir');
    // Singly-linked canaries: only the identity and path checks on the opened handle can refuse them.
    mkdirSync(join(base, 'race-outside'));
    writeFileSync(join(base, 'race-outside', 'secret.txt'), `race ${OUTSIDE}\n`);
    writeFileSync(join(base, 'race-file.txt'), `race ${OUTSIDE}\n`);
    writeFileSync(target, 'safe\n');
    mkdirSync(folder);
    writeFileSync(join(folder, 'secret.txt'), 'safe\n');
    let done = false;
    const flipFile = async (): Promise<void> => {
      for (let i = 0; !done && i < 100_000; i++) {
        await symlink(join(base, 'race-file.txt'), `${target}.link`);
        await rename(`${target}.link`, target);
        await writeFile(`${target}.file`, 'safe\n');
        await rename(`${target}.file`, target);
      }
    };
    const flipFolder = async (): Promise<void> => {
      for (let i = 0; !done && i < 100_000; i++) {
        await rename(folder, `${folder}.away`);
        await symlink(join(base, 'race-outside'), folder);
        await unlink(folder);
        await rename(`${folder}.away`, folder);
      }
    };
    // Kept as settled results so a flipper's failure surfaces here, not as an unhandled rejection.
    const flippers = [flipFile(), flipFolder()].map((p) => p.then(() => undefined, (e: unknown) => e));
    try {
      for (let i = 0; i < 300; i++) {
        const results = await Promise.all([call('read_file', { path: 'swap.txt' }), call('read_file', { path: 'swapdir/secret.txt' })]);
        for (const result of results) expectClean(result);
      }
    } finally {
      done = true;
      expect(await Promise.all(flippers)).toEqual([undefined, undefined]);
    }
  });
});

describe('registration', () => {
  it('registers nothing without roots, and nothing a role may not use', async () => {
    const stub = new McpServer({ name: 'bastion', version: 'test' });
    const admin: ToolCall = { ctx, principal: { id: 'a', kind: 'local', role: 'admin', scopes: [] }, role: roleOf(ctx.roles, 'admin'), session: 's', elicitation: false };
    expect(registerFileTools(stub, admin, configFor([], stateDir).files).size).toBe(0);
    const sqlOnly: ToolCall = { ...admin, role: compileRole('sql_only', { tools: ['query'], sources: ['*'], tables: { allow: ['*.*'], deny: [] }, columns: { deny: [], mask: {} }, approval: {} }) };
    expect(registerFileTools(stub, sqlOnly, ctx.config.files).size).toBe(0);
    // The built-in reader reads files where roots are configured.
    const reader: ToolCall = { ...admin, role: roleOf(ctx.roles, 'reader') };
    expect(registerFileTools(stub, reader, ctx.config.files).size).toBe(3);
  });

  it('lists the three tools for a role that has them', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['list_files', 'read_file', 'search_files']);
  });
});
