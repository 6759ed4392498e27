import { linkSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BastionError } from '../../src/errors/codes.js';
import { isDeniedRelative, isDeniedSegment, isSystemPath } from '../../src/files/denied-names.js';
import { checkPathInput, FileRoots, within } from '../../src/files/path-policy.js';

const OUTSIDE = 'outsidecanary-policy';

let base: string;
let root: string;
let roots: FileRoots;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'bastion-policy-')));
  root = join(base, 'data');
  mkdirSync(join(root, 'dir'), { recursive: true });
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), OUTSIDE);
  // Singly linked, so only the identity and path checks can catch a swap to it.
  mkdirSync(join(base, 'outside2'));
  writeFileSync(join(base, 'outside2', 'secret.txt'), OUTSIDE);
  writeFileSync(join(root, 'dir', 'secret.txt'), 'inside');
  writeFileSync(join(root, 'plain.txt'), 'plain');
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'out.txt'));
  symlinkSync('plain.txt', join(root, 'in.txt'));
  linkSync(join(base, 'outside', 'secret.txt'), join(root, 'hard.txt'));
  roots = FileRoots.open([root]);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

async function refusal(promise: Promise<unknown>): Promise<BastionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BastionError);
  const known = error as BastionError;
  // Messages never echo a root, a requested or a resolved path.
  expect(known.message).not.toContain(base);
  return known;
}

describe('checkPathInput (before any filesystem call)', () => {
  it.each([
    'a\0b',
    'a\u0001b',
    'a\u007fb',
    'a\u009bb',
    '..\\etc',
    'a\\b',
    '%2e%2e/etc',
    '%2E%2e/etc',
    'a%2fb',
    'a%5Cb',
    '%252e%252e/etc',
    '%25252e/etc',
    '%c0%ae%c0%ae/etc',
    '../etc',
    'a/../../etc',
    'a/..',
    '\uFF0E\uFF0E/etc',
    '\u2025/etc',
    'a\uFF0Fb',
  ])('rejects %j', (raw) => {
    expect(() => checkPathInput(raw)).toThrow(BastionError);
  });

  it('keeps ordinary names and drops empty and "." segments', () => {
    expect(checkPathInput('./docs//guide.md')).toEqual({ absolute: false, segments: ['docs', 'guide.md'] });
    expect(checkPathInput('/srv/data/a..b')).toEqual({ absolute: true, segments: ['srv', 'data', 'a..b'] });
    expect(checkPathInput('')).toEqual({ absolute: false, segments: [] });
  });
});

describe('protected names', () => {
  it.each([
    '.env',
    '.ENV',
    '.Env.local',
    '.env.production',
    '.envrc',
    '.ssh',
    '.aws',
    '.gnupg',
    '.npmrc',
    '.netrc',
    '.pgpass',
    '.git-credentials',
    'server.pem',
    'tls.KEY',
    'id_rsa',
    'id_ed25519.pub',
    '\uFF0E\uFF45\uFF4E\uFF56',
    '.\uFF25NV',
    '.e\u200Bnv',
    '.env.cafe\u0301',
    '\uFF29\uFF24_rsa',
  ])('denies %j', (name) => {
    expect(isDeniedSegment(name)).toBe(true);
  });

  it.each(['readme.md', '.envelope', 'environment.md', 'keys.txt', 'monkey', 'identity.txt', 'config', '.gitignore', 'pem.txt'])('allows %j', (name) => {
    expect(isDeniedSegment(name)).toBe(false);
  });

  it('denies config and credentials only inside a .git folder, on every segment', () => {
    expect(isDeniedRelative(['.git', 'config'])).toBe(true);
    expect(isDeniedRelative(['.GIT', 'credentials'])).toBe(true);
    expect(isDeniedRelative(['.git', 'HEAD'])).toBe(false);
    expect(isDeniedRelative(['app', 'config'])).toBe(false);
    expect(isDeniedRelative(['a', '.ssh', 'known_hosts'])).toBe(true);
  });

  it('treats /proc, /dev and /sys as system paths', () => {
    for (const path of ['/proc', '/proc/self/environ', '/dev/zero', '/sys/kernel', '/PROC/x']) expect(isSystemPath(path)).toBe(true);
    for (const path of ['/processes', '/devices/x', '/srv/proc']) expect(isSystemPath(path)).toBe(false);
  });
});

describe('FileRoots', () => {
  it('compares real paths with the separator: a sibling prefix is outside', () => {
    const [first] = roots.roots;
    expect(within(first!, root)).toEqual([]);
    expect(within(first!, join(root, 'dir', 'x'))).toEqual(['dir', 'x']);
    expect(within(first!, `${root}_evil/secret.txt`)).toBeUndefined();
    expect(within(first!, base)).toBeUndefined();
  });

  it('stops the start on a missing root, a file root or a protected root, without printing the path', () => {
    mkdirSync(join(base, '.ssh'), { recursive: true });
    for (const bad of [join(base, 'missing'), join(root, 'plain.txt'), join(base, '.ssh')]) {
      let error: unknown;
      try {
        FileRoots.open([bad]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BastionError);
      expect((error as BastionError).code).toBe('CONFIG_INVALID');
      expect((error as BastionError).message).not.toContain(base);
    }
  });

  it('resolves paths relative to the root, and absolute paths inside it', async () => {
    expect((await roots.resolve('dir/secret.txt')).rel).toBe('dir/secret.txt');
    expect((await roots.resolve(`${root}/plain.txt`)).rel).toBe('plain.txt');
    expect((await roots.resolve('in.txt')).rel).toBe('plain.txt');
    expect((await roots.resolve(undefined)).rel).toBe('');
  });

  it('refuses a symlink leaving the root, paths outside it and a missing file', async () => {
    expect((await refusal(roots.resolve('out.txt'))).code).toBe('DENIED_BY_POLICY');
    expect((await refusal(roots.resolve(`${base}/outside/secret.txt`))).message).toContain('outside the allowed roots');
    expect((await refusal(roots.resolve(`${root}_evil/x`))).code).toBe('DENIED_BY_POLICY');
    expect((await refusal(roots.resolve('/proc/self/environ'))).code).toBe('DENIED_BY_POLICY');
    expect((await refusal(roots.resolve('nope.txt'))).code).toBe('FILE_NOT_FOUND');
  });

  it('refuses to open a hard link (any multiply-linked file), whose content may live outside', async () => {
    const resolved = await roots.resolve('hard.txt');
    expect((await refusal(roots.openFile(resolved))).code).toBe('DENIED_BY_POLICY');
  });

  it('refuses the open when the checked file was replaced by another file after the check', async () => {
    writeFileSync(join(root, 'swap1.txt'), 'safe');
    const resolved = await roots.resolve('swap1.txt');
    writeFileSync(join(root, 'swap1.new'), 'other');
    renameSync(join(root, 'swap1.new'), join(root, 'swap1.txt'));
    expect((await refusal(roots.openFile(resolved))).code).toBe('DENIED_BY_POLICY');
  });

  it('refuses the open when the checked file became a symlink to outside after the check', async () => {
    writeFileSync(join(root, 'swap2.txt'), 'safe');
    const resolved = await roots.resolve('swap2.txt');
    symlinkSync(join(base, 'outside2', 'secret.txt'), join(root, 'swap2.link'));
    renameSync(join(root, 'swap2.link'), join(root, 'swap2.txt'));
    expect((await refusal(roots.openFile(resolved))).code).toBe('DENIED_BY_POLICY');
  });

  it('refuses the open when a folder on the path became a symlink to outside after the check', async () => {
    mkdirSync(join(root, 'swap3'));
    writeFileSync(join(root, 'swap3', 'secret.txt'), 'safe');
    const resolved = await roots.resolve('swap3/secret.txt');
    renameSync(join(root, 'swap3'), join(root, 'swap3.away'));
    symlinkSync(join(base, 'outside2'), join(root, 'swap3'));
    expect((await refusal(roots.openFile(resolved))).code).toBe('DENIED_BY_POLICY');
  });

  it('opens a checked file and reads only from its handle', async () => {
    const opened = await roots.openFile(await roots.resolve('plain.txt'));
    try {
      expect(opened.rel).toBe('plain.txt');
      expect((await opened.handle.readFile()).toString()).toBe('plain');
    } finally {
      await opened.handle.close();
    }
  });
});
