import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * `path` with every symbolic link in its existing part resolved, once, at start-up: the
 * state and audit folders are then used by their real location, so a link that another
 * user swaps while the server runs (a link in a shared folder such as /tmp) cannot move
 * where keys, approvals or the audit go. The part that does not exist yet is kept as
 * written; the stores create and check it. A dangling link is kept too: the stores
 * refuse it when they open it.
 */
export function pinRealPath(path: string): string {
  let existing = path;
  const missing: string[] = [];
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      missing.unshift(basename(existing));
      existing = parent;
    }
  }
  try {
    return join(realpathSync(existing), ...missing);
  } catch {
    return path;
  }
}
