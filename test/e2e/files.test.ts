/**
 * The file tools through the built binary: `bastion serve --files DIR` lists and
 * reads inside the folder, and never returns a protected file or one outside it.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, makeTempDir, runCli, startStdio } from '../helpers/spawn.js';

afterAll(async () => cleanup());

describe('bastion serve --files (built binary, stdio)', () => {
  it('reads inside the root and refuses protected and outside files', async () => {
    const outside = makeTempDir();
    writeFileSync(join(outside, 'secret.txt'), 'OUTSIDE-CANARY-5521');
    const root = makeTempDir();
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'readme.md'), '# Notes\nhello from inside\n');
    writeFileSync(join(root, '.env'), 'DB_PASSWORD=ENV-CANARY-7781\n');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    const server = await startStdio(['--files', root], { cwd: makeTempDir() });
    try {
      const names = (await server.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['list_files', 'read_file', 'search_files']));
      const call = async (name: string, args: Record<string, unknown>) => (await server.client.callTool({ name, arguments: args })) as CallToolResult;
      const read = await call('read_file', { path: 'docs/readme.md' });
      expect(JSON.stringify(read.structuredContent)).toContain('hello from inside');
      const answers = [
        await call('list_files', { path: '.', recursive: true }),
        await call('read_file', { path: '.env' }),
        await call('read_file', { path: 'link.txt' }),
        await call('read_file', { path: '../' + outside.split('/').pop() + '/secret.txt' }),
        await call('read_file', { path: join(outside, 'secret.txt') }),
        await call('search_files', { contains: 'CANARY' }),
      ];
      const text = JSON.stringify(answers);
      expect(text).not.toContain('OUTSIDE-CANARY-5521');
      expect(text).not.toContain('ENV-CANARY-7781');
      expect(text).not.toContain(outside);
      expect(answers[1]?.isError).toBe(true);
      expect(answers[4]?.isError).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('a missing root stops the start with a clear error that does not echo the path', async () => {
    const run = await runCli(['serve', '--files', '/nonexistent/bastion-root-x'], { cwd: makeTempDir() });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('files.roots');
    expect(run.stderr).not.toContain('bastion-root-x');
  }, 30_000);
});
