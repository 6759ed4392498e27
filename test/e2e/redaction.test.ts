/**
 * The redaction corpus pushed through a running server: as tool arguments (bound
 * parameters), inside SQL text, inside database error messages and as result rows.
 * None of the secrets may appear in what the client receives or in the server log.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_CORPUS } from '../log/secret-corpus.js';
import { cleanup, makeTempDir, startStdio, type StdioBastion } from '../helpers/spawn.js';

/** Any 12-character piece of a secret showing up counts as a leak. */
function leaked(haystack: string, secret: string): boolean {
  if (secret.length <= 12) return haystack.includes(secret);
  for (let i = 0; i + 12 <= secret.length; i += 4) if (haystack.includes(secret.slice(i, i + 12))) return true;
  return false;
}

describe('redaction end to end (stdio, embedded database)', () => {
  let server: StdioBastion;
  const answers: string[] = [];

  beforeAll(async () => {
    server = await startStdio([], { cwd: makeTempDir(), env: { BASTION_LOG_LEVEL: 'debug' } });
    const call = async (args: Record<string, unknown>): Promise<void> => {
      const result = (await server.client.callTool({ name: 'query', arguments: args })) as CallToolResult;
      answers.push(JSON.stringify(result));
    };
    for (const sample of SECRET_CORPUS) {
      await call({ sql: 'SELECT $1::text AS value', params: [sample.text] });
      await call({ sql: `SELECT '${sample.text.replace(/'/g, "''")}' AS value` });
      await call({ sql: 'SELECT $1::int AS value', params: [sample.text] });
      await call({ sql: `SELECT '${sample.text.replace(/'/g, "''")}'::int AS value` });
    }
  }, 120_000);
  afterAll(async () => cleanup());

  it('the corpus is large enough to mean something', () => {
    expect(SECRET_CORPUS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(SECRET_CORPUS.map((s) => [s.name, s] as const))('%s never reaches the client', (_name, sample) => {
    const all = answers.join('\n');
    expect(leaked(all, sample.secret)).toBe(false);
  });

  it.each(SECRET_CORPUS.map((s) => [s.name, s] as const))('%s never reaches the server log', (_name, sample) => {
    expect(leaked(server.stderr(), sample.secret)).toBe(false);
  });

  it('the answers still carry the redaction markers, so the redactor ran', () => {
    expect(answers.join('\n')).toContain('[REDACTED:');
  });
});
