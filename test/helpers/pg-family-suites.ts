import { afterAll, beforeAll, describe } from 'vitest';
import type { Principal } from '../../src/session/context.js';
import { startBastion, type TestBastion } from './bastion.js';
import { createTestDatabase, postgres } from './postgres.js';

export interface PgFamilyEnv {
  bastion: TestBastion;
  /** Runs SQL as the database owner: the PostgreSQL admin connection, or PGlite's own source. */
  admin(sql: string): Promise<void>;
}

/**
 * The same suite on PGlite (the demo database) and, when one answers, on a PostgreSQL
 * database of its own seeded with the demo data: a server started with `config` (its one
 * source `main` added) as `principal`, `setup` run as the owner first. `body` reads the
 * environment through `env()` inside its tests.
 */
export function pgFamilySuites(label: string, config: Record<string, unknown>, principal: Principal, setup: readonly string[], body: (env: () => PgFamilyEnv) => void): void {
  const suite = (engine: string, open: () => Promise<{ source: Record<string, unknown>; admin?: (sql: string) => Promise<void>; cleanup: () => Promise<void> }>): void => {
    describe(`${label} on ${engine}`, () => {
      let env: PgFamilyEnv | undefined;
      let cleanup: () => Promise<void> = () => Promise.resolve();
      beforeAll(async () => {
        const opened = await open();
        cleanup = opened.cleanup;
        const bastion = await startBastion({ ...config, sources: { main: opened.source } }, principal);
        const source = bastion.ctx.sources.get('main')?.source;
        const admin =
          opened.admin ??
          (async (sql: string): Promise<void> => {
            await source?.write?.({ kind: 'ddl', sql, params: [], dryRun: false, maxAffectedRows: 0, maxBytes: 1 << 20 });
          });
        env = { bastion, admin };
        for (const sql of setup) await admin(sql);
      }, 60_000);
      afterAll(async () => {
        await env?.bastion.close();
        await cleanup();
      });
      body(() => {
        if (env === undefined) throw new Error('the suite did not start');
        return env;
      });
    });
  };
  suite('PGlite', () => Promise.resolve({ source: { engine: 'pglite', writes: { enabled: true } }, cleanup: () => Promise.resolve() }));
  describe.skipIf(!postgres.ok)(`${label} on PostgreSQL (when one answers)`, () => {
    suite('PostgreSQL', async () => {
      const db = await createTestDatabase();
      return { source: { engine: 'postgres', url: db.url, writes: { enabled: true } }, admin: async (sql) => void (await db.admin(sql)), cleanup: () => db.drop() };
    });
  });
}
