/**
 * The engines' loader checks the engines' settings at start whichever sources are
 * configured: a `sql.allow_functions` entry that can never be allowed stops the start
 * of a SQLite-only server too, before any source is opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contextFor } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import { checkEngineSettings } from '../../src/engines/index.js';
import { BastionError } from '../../src/errors/codes.js';
import { createLogger } from '../../src/log/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engine settings at start', () => {
  it('refuses a function that can never be allowed on a SQLite-only server, before any source opens', async () => {
    const config = configSchema.parse({
      sources: { local: { engine: 'sqlite', path: join(dir, 'never-created.db') } },
      sql: { allow_functions: ['pg_read_file'] },
      audit: { enabled: false },
      state: { dir: join(dir, 'state') },
    });
    const started = contextFor(config, createLogger('silent'));
    await expect(started).rejects.toThrow(/pg_read_file can never be allowed/);
    await expect(started).rejects.toBeInstanceOf(BastionError);
  });

  it('accepts an allowed extra function, and an empty list without loading anything', async () => {
    await expect(checkEngineSettings({ allow_functions: ['public.bump'] })).resolves.toBeUndefined();
    await expect(checkEngineSettings({ allow_functions: [] })).resolves.toBeUndefined();
    await expect(checkEngineSettings({ allow_functions: ['public.dblink'] })).rejects.toThrow(/can never be allowed/);
  });
});
