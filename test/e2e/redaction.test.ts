/**
 * The redaction corpus pushed through a running server: as tool arguments (bound
 * parameters), inside SQL text, inside database error messages and as result rows.
 * None of the secrets may appear in what the client receives, in the server log or
 * in the audit log — which here records argument values too (audit.include_values),
 * the setting that gives the redactor the most to do.
 */
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyChainText } from '../helpers/audit-chains.js';
import { SECRET_CORPUS } from '../log/secret-corpus.js';
import { cleanup, dirWithConfig, startStdio, type StdioBastion } from '../helpers/spawn.js';

/** Any 12-character piece of a secret showing up counts as a leak. */
function leaked(haystack: string, secret: string): boolean {
  if (secret.length <= 12) return haystack.includes(secret);
  for (let i = 0; i + 12 <= secret.length; i += 4) if (haystack.includes(secret.slice(i, i + 12))) return true;
  return false;
}

describe('redaction end to end (stdio, embedded database)', () => {
  let server: StdioBastion;
  const answers: string[] = [];
  let cwd: string;
  const auditText = (): string => onlyChainText(join(cwd, '.bastion'));

  beforeAll(async () => {
    cwd = dirWithConfig(['sources:', '  demo:', '    engine: pglite', 'rate_limits:', '  per_principal_per_minute: 100000', 'audit:', '  include_values: true', ''].join('\n'));
    server = await startStdio([], { cwd, env: { BASTION_LOG_LEVEL: 'debug' } });
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

  it.each(SECRET_CORPUS.map((s) => [s.name, s] as const))('%s never reaches the audit log', (_name, sample) => {
    expect(leaked(auditText(), sample.secret)).toBe(false);
  });

  it('the audit log holds one record per call, with the redacted values', () => {
    const records = auditText().trim().split('\n').map((line) => JSON.parse(line) as { tool?: string; args?: unknown });
    expect(records.filter((r) => r.tool === 'query')).toHaveLength(SECRET_CORPUS.length * 4);
    expect(auditText()).toContain('[REDACTED:');
  });

  it('the answers still carry the redaction markers, so the redactor ran', () => {
    expect(answers.join('\n')).toContain('[REDACTED:');
  });
});
