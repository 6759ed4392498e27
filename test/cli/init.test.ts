import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initProject } from '../../src/cli/init.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { checkSecretsInFile } from '../../src/doctor/secrets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-init-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

describe('bastion init', () => {
  it('writes bastion.yaml and .env.example; the yaml loads, with no variable set, to exactly the defaults', () => {
    const lines = initProject(dir, false);
    expect(lines).toEqual([`Wrote ${join(dir, 'bastion.yaml')}`, `Wrote ${join(dir, '.env.example')}`]);
    const { config } = loadConfig({ configPath: join(dir, 'bastion.yaml'), env: {}, cwd: dir });
    // state.dir: .bastion, made absolute against the file's folder.
    expect(config).toEqual(configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { dir: join(dir, '.bastion') } }));
    // bastion.yaml is private: it is where a careless edit would put a secret.
    expect(statSync(join(dir, 'bastion.yaml')).mode & 0o077).toBe(0);
  });

  it('lists every top-level section, and every ${VAR} it references is in .env.example', () => {
    initProject(dir, false);
    const yaml = read('bastion.yaml');
    for (const key of Object.keys(configSchema.shape)) expect(yaml).toMatch(new RegExp(`^#? ?${key}:`, 'm'));
    const referenced = new Set([...yaml.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1]));
    const declared = new Set([...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=$/gm)].map((m) => m[1]));
    expect(referenced.size).toBeGreaterThan(0);
    expect(declared).toEqual(referenced);
    expect(checkSecretsInFile(yaml, 'bastion.yaml').status).toBe('pass');
  });

  it('refuses to overwrite without --force, leaving both files as they were', () => {
    writeFileSync(join(dir, '.env.example'), 'MINE=1\n');
    expect(() => initProject(dir, false)).toThrow(/already exists; nothing was written\. Use --force/);
    expect(read('.env.example')).toBe('MINE=1\n');
    expect(() => read('bastion.yaml')).toThrow();
    initProject(dir, true);
    expect(read('.env.example')).toContain('BASTION_AUDIT_KEY=');
  });

  it('appends .env and .bastion/ to an existing .gitignore once, never twice', () => {
    writeFileSync(join(dir, '.gitignore'), 'node_modules\n/.env');
    const lines = initProject(dir, false);
    expect(lines.at(-1)).toBe(`Added .bastion/ to ${join(dir, '.gitignore')}`);
    initProject(dir, true);
    expect(read('.gitignore')).toBe('node_modules\n/.env\n.bastion/\n');
  });

  it('creates no .gitignore where there is none', () => {
    initProject(dir, false);
    expect(() => read('.gitignore')).toThrow();
  });
});
