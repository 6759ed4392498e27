/**
 * Names no file tool ever shows or opens, whatever the roots: environment files,
 * SSH, cloud and package-registry credentials, private keys, Git credentials and
 * the kernel's pseudo-filesystems. Each segment is compared in several forms (NFC,
 * NFKC, invisible characters removed, case folded) so that `.ENV`, a fullwidth
 * `．ｅｎｖ` or a decomposed variant is refused like `.env` on any filesystem,
 * including the case- and normalisation-insensitive ones.
 */

const DENIED_EXACT: ReadonlySet<string> = new Set([
  '.ssh',
  '.aws',
  '.gnupg',
  '.npmrc',
  '.netrc',
  '.pgpass',
  '.git-credentials',
]);

/** `.env`, `.env.local`, `.env-prod`, `.envrc` (direnv), … */
const ENV_FILE = /^\.env(?:rc)?(?:[._-].*)?$/s;
const KEY_FILE = /\.(?:pem|key)$/s;
/** ssh keys: id_rsa, id_ed25519, id_ecdsa.pub … */
const SSH_KEY = /^id_/s;
/** Inside a `.git` directory: config, config.worktree, credentials. */
const GIT_SECRET = /^(?:config|credentials)/s;

const SYSTEM_ROOTS = ['proc', 'dev', 'sys'];

const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The forms a segment is compared in: every spelling a filesystem might treat as the same name. */
function forms(segment: string): string[] {
  const out = new Set<string>();
  for (const form of [segment, segment.normalize('NFC'), segment.normalize('NFKC')]) {
    const visible = form.replace(INVISIBLE, '');
    // Upper then lower approximates Unicode case folding (ſ → S → s, K (Kelvin) → k).
    for (const text of [form, visible]) out.add(text.toUpperCase().toLowerCase()).add(text.toLowerCase());
  }
  return [...out];
}

function deniedForm(name: string, parent: string | undefined): boolean {
  if (DENIED_EXACT.has(name) || ENV_FILE.test(name) || KEY_FILE.test(name) || SSH_KEY.test(name)) return true;
  return parent === '.git' && GIT_SECRET.test(name);
}

/** True when this segment (with the one before it, for `.git/config`) names a denied file or directory. */
export function isDeniedSegment(segment: string, parent?: string): boolean {
  const parents = parent === undefined ? [undefined] : forms(parent);
  return forms(segment).some((name) => parents.some((p) => deniedForm(name, p)));
}

/** True when any segment of a path relative to a root is denied. */
export function isDeniedRelative(segments: readonly string[]): boolean {
  return segments.some((segment, i) => isDeniedSegment(segment, i > 0 ? segments[i - 1] : undefined));
}

/** /proc, /dev and /sys, and anything under them: never a root, never a target. */
export function isSystemPath(absolute: string): boolean {
  const first = absolute.split('/').find((s) => s !== '');
  return first !== undefined && forms(first).some((f) => SYSTEM_ROOTS.includes(f));
}
