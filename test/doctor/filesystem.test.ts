import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditChainDir, AuditFileSink, LOG_FILE } from '../../src/audit/index.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { checkAuditChain } from '../../src/doctor/audit-chain.js';
import { checkFilesRoots } from '../../src/doctor/files-roots.js';
import { checkFilePermissions } from '../../src/doctor/permissions.js';
import { callEvent } from '../audit/helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-doctor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(raw: Record<string, unknown> = {}): BastionConfig {
  return configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { dir: join(dir, 'state') }, ...raw });
}

function stateDir(mode: number): string {
  const state = join(dir, 'state');
  mkdirSync(state, { mode });
  chmodSync(state, mode);
  return state;
}

describe('file-permissions', () => {
  it('a world-readable api-keys.json fails, naming the file; a 0755 state folder warns', () => {
    const state = stateDir(0o755);
    writeFileSync(join(state, 'api-keys.json'), '{}', { mode: 0o644 });
    chmodSync(join(state, 'api-keys.json'), 0o644);
    const checks = checkFilePermissions(config(), undefined);
    expect(checks.map((c) => c.status)).toEqual(['fail', 'warn']);
    expect(checks[0]?.detail).toContain('api-keys.json');
  });

  it('a world-readable log in a server’s audit chain folder fails, naming the file', async () => {
    const state = stateDir(0o700);
    const sink = await AuditFileSink.open({ dir: auditChainDir(state, 'desk-1'), instance: 'desk-1' });
    await sink.append(callEvent(1));
    await sink.close();
    expect(checkFilePermissions(config(), undefined).map((c) => c.status)).toEqual(['pass']);
    chmodSync(join(auditChainDir(state, 'desk-1'), LOG_FILE), 0o644);
    const checks = checkFilePermissions(config(), undefined);
    expect(checks.map((c) => c.status)).toEqual(['fail']);
    expect(checks[0]?.detail).toContain(join('audit', 'desk-1', LOG_FILE));
  });

  it('a world-writable configuration file fails; a private state passes', () => {
    stateDir(0o700);
    const file = join(dir, 'bastion.yaml');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    expect(checkFilePermissions(config(), file)[0]?.status).toBe('fail');
    chmodSync(file, 0o600);
    expect(checkFilePermissions(config(), file).map((c) => c.status)).toEqual(['pass']);
  });
});

describe('files-roots', () => {
  it('a root inside .ssh, a root holding .ssh (a home folder), and a missing root each fail', () => {
    mkdirSync(join(dir, 'home', '.ssh'), { recursive: true });
    mkdirSync(join(dir, 'project'));
    const roots = [join(dir, 'home', '.ssh'), join(dir, 'home'), join(dir, 'missing'), join(dir, 'project')];
    const checks = checkFilesRoots(config({ files: { roots } }));
    expect(checks.map((c) => c.status)).toEqual(['fail', 'fail', 'fail']);
    expect(checks.map((c) => c.detail.slice(0, 14))).toEqual(['files.roots[0]', 'files.roots[1]', 'files.roots[2]']);
    expect(checkFilesRoots(config({ files: { roots: [join(dir, 'project')] } }))[0]?.status).toBe('pass');
  });

  it('/proc and / as roots fail', () => {
    expect(checkFilesRoots(config({ files: { roots: ['/proc'] } }))[0]?.status).toBe('fail');
    expect(checkFilesRoots(config({ files: { roots: ['/'] } }))[0]?.status).toBe('fail');
  });
});

describe('audit chain', () => {
  it('intact chains pass and an edited record in any one of them fails, naming its file', async () => {
    const state = stateDir(0o700);
    for (const instance of ['desk-1', 'desk-2']) {
      const sink = await AuditFileSink.open({ dir: auditChainDir(state, instance), instance });
      for (let i = 1; i <= 3; i++) await sink.append(callEvent(i));
      await sink.close();
    }
    expect(await checkAuditChain(config())).toMatchObject({ status: 'pass', detail: expect.stringContaining('6 record(s) in 2 chain(s)') as string });
    // The attack: a forged record appended by someone with write access and no key.
    await appendFile(join(auditChainDir(state, 'desk-2'), LOG_FILE), '{"seq":4,"prev":"00","hash":"00","tool":"query"}\n');
    const check = await checkAuditChain(config());
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(`${join('audit', 'desk-2', LOG_FILE)} line 4`);
  });

  it('a log written directly in the folder (before one chain per process) is still verified', async () => {
    const state = stateDir(0o700);
    const sink = await AuditFileSink.open({ dir: state, instance: 'i-1' });
    for (let i = 1; i <= 3; i++) await sink.append(callEvent(i));
    await sink.close();
    expect((await checkAuditChain(config())).status).toBe('pass');
    await appendFile(join(state, LOG_FILE), '{"seq":4,"prev":"00","hash":"00","tool":"query"}\n');
    expect((await checkAuditChain(config())).status).toBe('fail');
  });

  it('no log yet passes', async () => {
    expect((await checkAuditChain(config())).status).toBe('pass');
  });
});
