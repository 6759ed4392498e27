import { describe, expect, it } from 'vitest';
import { checkSecretsInFile, findLiteralSecrets, urlHasLiteralPassword } from '../../src/doctor/secrets.js';

describe('secrets-in-file', () => {
  it('a URL password is literal unless it is wholly an ${ENV} reference', () => {
    expect(urlHasLiteralPassword('postgres://app:hunter2@db/app')).toBe(true);
    expect(urlHasLiteralPassword('postgres://app@db/app?password=hunter2')).toBe(true);
    expect(urlHasLiteralPassword('postgres://app:${PGPASSWORD}@db/app')).toBe(false);
    expect(urlHasLiteralPassword('${DATABASE_URL}')).toBe(false);
    expect(urlHasLiteralPassword('postgres://app@db/app')).toBe(false);
  });

  it('names every key holding a literal secret: source url, state url, jwt secret, audit key', () => {
    const raw = {
      sources: { main: { engine: 'postgres', url: 'postgres://u:p4ss@h/d' }, ok: { engine: 'postgres', url: '${DB}' } },
      state: { url: 'postgres://u:p4ss@h/s' },
      auth: { jwt: { issuers: [{ secret: '${JWT}' }, { secret: 'a-literal-secret-of-enough-length-000' }] } },
      audit: { key: 'another-literal-key-of-enough-length-0' },
    };
    expect(findLiteralSecrets(raw)).toEqual(['sources.main.url', 'state.url', 'audit.key', 'auth.jwt.issuers[1].secret']);
  });

  it('fails without ever printing the secret itself', () => {
    const text = 'sources:\n  main:\n    engine: postgres\n    url: postgres://admin:S3cr3tP4ss@db:5432/app\n';
    const check = checkSecretsInFile(text, 'bastion.yaml');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('sources.main.url');
    expect(JSON.stringify(check)).not.toContain('S3cr3tP4ss');
  });

  it('passes for a file with ${ENV} references and when there is no file', () => {
    expect(checkSecretsInFile('audit:\n  key: ${BASTION_AUDIT_KEY}\n', 'bastion.yaml').status).toBe('pass');
    expect(checkSecretsInFile(undefined, undefined).status).toBe('pass');
  });
});
