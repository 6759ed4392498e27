/**
 * Globs for role rules: `*` matches any run of characters within one dot-separated
 * part, `?` one character. Names compare exactly as PostgreSQL stores them (after
 * case folding), so `shop.*` never matches `Shop.x` written with quotes.
 */
export type Matcher = (name: string) => boolean;

export function compileGlobs(patterns: readonly string[]): Matcher {
  if (patterns.length === 0) return () => false;
  const regexes = patterns.map(globToRegExp);
  return (name) => regexes.some((r) => r.test(name));
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const c of pattern) {
    if (c === '*') source += '[^.]*';
    else if (c === '?') source += '[^.]';
    else source += c.replace(/[\\^$.|+()[\]{}]/g, (x) => `\\${x}`);
  }
  return new RegExp(`^${source}$`, 'su');
}
