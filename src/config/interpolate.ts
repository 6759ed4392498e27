import { lookup, type Environment } from './env-file.js';

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A ${VAR} reference whose variable is not set, and the key that holds it. */
export interface MissingVariable {
  name: string;
  path: (string | number)[];
}

/**
 * Replaces ${VAR} in string values. An unset variable is not replaced; it is added to
 * `missing` with the key that holds it, so the caller decides whether that key matters.
 */
export function interpolateEnv(value: unknown, env: Environment, path: (string | number)[], missing: MissingVariable[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (match, name: string) => {
      const replacement = lookup(env, name);
      if (replacement === undefined) {
        missing.push({ name, path });
        return match;
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], missing));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty: a `__proto__` key in the YAML stays a key (and an unknown one), never a prototype.
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: interpolateEnv(v, env, [...path, k], missing), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
