/**
 * Column security judged by effect (issue 17), on PGlite and a real PostgreSQL: the
 * attack corpus of test/corpus/column-security.ts never gets a planted value out and
 * never gets a yes/no question about one answered; the benign corpus runs for the
 * restricted role and answers exactly what the masked model says.
 *
 * Every case runs through the whole MCP pipeline (query tool) as role `analyst`; the
 * expected answers of benign cases come from the unrestricted `admin` role on the same
 * server, reading model.employees (the table as the analyst should see it).
 *
 * Cases listed in KNOWN_LEAKS / KNOWN_FALSE_POSITIVES run as `it.fails`: they are
 * expected to fail on today's main, and the day a change fixes one, its test goes red
 * until the id is removed from the list — a fix cannot go unnoticed, and a
 * regression of a passing case cannot either. Nothing is skipped silently: a case that
 * exists on one engine only says so in its `engines` (hstore: PostgreSQL, where the
 * fixture creates the extension); the PostgreSQL suite runs when the server answers, as
 * the global setup reports (BASTION_REQUIRE_PG=1 makes it mandatory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOWED_FUNCTIONS,
  ANALYST_ROLE,
  attacks,
  benign,
  KNOWN_FALSE_POSITIVES,
  KNOWN_LEAKS,
  type AttackCase,
  type BenignCase,
  type Engine,
  type Param,
} from '../corpus/column-security.js';
import { openSession, startBastion, type TestBastion } from '../helpers/bastion.js';
import { answerOf, describeCorpus, leaksIn, textOf } from '../helpers/leaks.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const FIXTURE = readFileSync(new URL('../fixtures/column-security/schema.sql', import.meta.url), 'utf8');

// ---------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------

interface Session {
  call(sql: string, params?: Param[]): Promise<CallToolResult>;
  close(): Promise<void>;
}

interface Env {
  analyst: Session;
  admin: Session;
  close(): Promise<void>;
}

interface EngineUnderTest {
  engine: Engine;
  label: string;
  run: boolean;
  /** Creates the fixture; returns the source config and how to clean up. */
  prepare(): Promise<{ source: Record<string, unknown>; cleanup: () => Promise<void> }>;
}

const ENGINES: EngineUnderTest[] = [
  {
    engine: 'pglite',
    label: 'PGlite',
    run: true,
    async prepare() {
      const dir = mkdtempSync(join(tmpdir(), 'bastion-colsec-'));
      const db = await PGlite.create({ dataDir: join(dir, 'pgdata') });
      try {
        await db.exec(FIXTURE);
      } finally {
        await db.close();
      }
      return { source: { engine: 'pglite', path: join(dir, 'pgdata') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    engine: 'postgres',
    label: 'PostgreSQL',
    run: postgres.ok || process.env['BASTION_REQUIRE_PG'] === '1',
    async prepare() {
      const db: TestDatabase = await createTestDatabase({ seed: false });
      await db.admin(FIXTURE);
      // The whole-row cases for hstore(e) and e.hstore need the extension (contrib).
      await db.admin('CREATE EXTENSION hstore');
      return { source: { engine: 'postgres', url: db.url, pool: { max: 2 } }, cleanup: () => db.drop() };
    },
  },
];

async function sessionOn(bastion: TestBastion, role: string): Promise<Session> {
  const session = await openSession(bastion.ctx, { id: `${role}-colsec`, kind: 'local', role, scopes: [] });
  return {
    call: (sql, params) => session.call('query', params === undefined ? { sql } : { sql, params }),
    close: () => session.close(),
  };
}

async function startEnv(target: EngineUnderTest): Promise<Env> {
  const { source, cleanup } = await target.prepare();
  const bastion = await startBastion(
    { sources: { hr: source }, sql: { allow_functions: ALLOWED_FUNCTIONS }, roles: { analyst: ANALYST_ROLE } },
    { id: 'analyst-colsec', kind: 'local', role: 'analyst', scopes: [] },
  );
  const analyst: Session = {
    call: async (sql, params) => bastion.call('query', params === undefined ? { sql } : { sql, params }),
    close: async () => undefined,
  };
  const admin = await sessionOn(bastion, 'admin');
  return {
    analyst,
    admin,
    async close() {
      await admin.close();
      await bastion.close();
      await cleanup();
    },
  };
}

const known = (set: ReadonlySet<string>, id: string, engine: Engine): boolean => set.has(id) || set.has(`${id}@${engine}`);
const runsOn = (engines: Engine[] | undefined, engine: Engine): boolean => engines === undefined || engines.includes(engine);

// ---------------------------------------------------------------------------
// The suites
// ---------------------------------------------------------------------------

for (const target of ENGINES) {
  describe.runIf(target.run)(`${target.label}: column security by effect (role analyst)`, () => {
    let env: Env;
    beforeAll(async () => {
      env = await startEnv(target);
    });
    afterAll(async () => {
      await env?.close();
    });

    async function checkAttack(c: AttackCase): Promise<void> {
      const first = await env.analyst.call(c.sql, c.params);
      const leaked = leaksIn(first, c.sql, c.params);
      if (c.twin === undefined) {
        expect(leaked, `planted values in the answer: ${textOf(first).slice(0, 300)}`).toEqual([]);
        return;
      }
      const second = await env.analyst.call(c.twin, c.twinParams ?? c.params);
      leaked.push(...leaksIn(second, c.twin, c.twinParams ?? c.params));
      expect(leaked, 'planted values in the answers').toEqual([]);
      // The pair asks a yes/no question about a protected value: the same answer twice tells nothing.
      expect(answerOf(second), 'the two halves of a yes/no question were answered differently').toEqual(answerOf(first));
    }

    async function checkBenign(c: BenignCase): Promise<void> {
      const result = await env.analyst.call(c.sql, c.params);
      expect(result.isError === true ? textOf(result) : 'answered').toBe('answered');
      expect(leaksIn(result, c.sql, c.params)).toEqual([]);
      if (c.expect === 'model') {
        const modelSql = c.modelSql ?? c.sql.replace(/\bhr\.employees\b/gi, 'model.employees');
        const model = await env.admin.call(modelSql, c.params);
        expect(model.isError === true ? `the model statement failed: ${textOf(model)}` : 'answered').toBe('answered');
        expect(answerOf(result)).toEqual(answerOf(model));
      }
    }

    const attackCases = attacks.filter((c) => runsOn(c.engines, target.engine));
    const benignCases = benign;
    describeCorpus({
      attacks: attackCases,
      benign: benignCases,
      knownLeak: (id) => known(KNOWN_LEAKS, id, target.engine),
      knownFalsePositive: (id) => known(KNOWN_FALSE_POSITIVES, id, target.engine),
      checkAttack,
      checkBenign,
    });

    it('the corpus has at least 150 attacks and 150 benign cases on this engine, with unique ids', () => {
      expect(attackCases.length).toBeGreaterThanOrEqual(150);
      expect(benignCases.length).toBeGreaterThanOrEqual(150);
      const ids = [...attacks, ...benign].map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });
}

it('every id in KNOWN_LEAKS and KNOWN_FALSE_POSITIVES names a case of the corpus', () => {
  const attackIds = new Set(attacks.map((c) => c.id));
  const benignIds = new Set(benign.map((c) => c.id));
  const bare = (id: string): string => id.replace(/@(postgres|pglite)$/, '');
  expect([...KNOWN_LEAKS].filter((id) => !attackIds.has(bare(id)))).toEqual([]);
  expect([...KNOWN_FALSE_POSITIVES].filter((id) => !benignIds.has(bare(id)))).toEqual([]);
});
