import { resolve } from 'node:path';
import type { BastionConfig, SourceConfig } from './schema.js';

/**
 * Makes every file path of a validated configuration absolute, against `base`: the
 * configuration file's folder, so a config means the same thing whichever folder the
 * server is started from. Paths that are already absolute (the --db and --files
 * shortcuts, resolved against the working folder where the user typed them) stay.
 * state.dir is settled by locateState; this covers the others.
 */
export function resolveConfigPaths(config: BastionConfig, base: string): BastionConfig {
  const at = (path: string): string => resolve(base, path);
  const sources: Record<string, SourceConfig> = {};
  for (const [name, source] of Object.entries(config.sources)) {
    sources[name] = (source.engine === 'sqlite' || source.engine === 'pglite') && source.path !== undefined ? { ...source, path: at(source.path) } : source;
  }
  const tls = config.server.http.tls;
  return {
    ...config,
    sources,
    files: { ...config.files, roots: config.files.roots.map(at) },
    audit: config.audit.dir === undefined ? config.audit : { ...config.audit, dir: at(config.audit.dir) },
    server: {
      ...config.server,
      http: {
        ...config.server.http,
        ...(tls === undefined
          ? {}
          : {
              tls: {
                ...tls,
                cert_file: at(tls.cert_file),
                key_file: at(tls.key_file),
                ...(tls.client_ca_file === undefined ? {} : { client_ca_file: at(tls.client_ca_file) }),
              },
            }),
      },
    },
  };
}
