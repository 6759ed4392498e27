import { existsSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { BastionConfig } from '../config/schema.js';
import { isDeniedRelative, isSystemPath } from '../files/denied-names.js';
import { fail, pass, type Check } from './check.js';

/** Folders whose presence right below a root says the root is a home folder or the whole disk. */
const CREDENTIAL_FOLDERS = ['.ssh', '.aws', '.gnupg'];

/**
 * `files-roots`: a root that is, sits inside, or directly holds a protected
 * location. The file tools refuse those names anyway; a root like that means the
 * roots were chosen far wider than intended.
 */
export function checkFilesRoots(config: BastionConfig): Check[] {
  const title = 'File roots';
  const roots = config.files.roots;
  if (roots.length === 0) return [pass('files-roots', title, 'No file roots: the file tools are off.')];
  const checks: Check[] = [];
  roots.forEach((configured, index) => {
    const key = `files.roots[${index}]`;
    let real: string;
    try {
      real = realpathSync(resolve(configured));
    } catch {
      checks.push(fail('files-roots', title, `${key} (${configured}) does not exist or cannot be read; the server will not start.`, 'Create the folder or remove the entry.'));
      return;
    }
    const segments = real.split(sep).filter((s) => s !== '');
    if (isSystemPath(real) || isDeniedRelative(segments)) {
      checks.push(fail('files-roots', title, `${key} (${configured}) is a protected location.`, 'Name a project folder, not a system, key or credential folder.'));
      return;
    }
    const held = CREDENTIAL_FOLDERS.filter((name) => existsSync(join(real, name)));
    if (real === sep || held.length > 0) {
      checks.push(
        fail(
          'files-roots',
          title,
          `${key} (${configured}) holds ${held.length > 0 ? held.join(', ') : 'the whole file system'}: it looks like a home folder or the disk root.`,
          'Name the project folder the assistant needs, not a folder above it.',
        ),
      );
    }
  });
  if (checks.length > 0) return checks;
  return [pass('files-roots', title, `${roots.length} root(s), none protected or holding credential folders.`)];
}
