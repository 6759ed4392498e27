import type { PgliteSourceConfig } from '../../config/schema.js';
import type { EngineParts } from '../../engine/parts.js';
import type { Logger } from '../../log/logger.js';
import { postgresFamilyParts } from '../postgres-family/parts.js';
import type { SqlPolicy } from '../postgres-family/policy/policy.js';
import { PgliteSource } from './source.js';

/** PGlite in a worker thread (the embedded demo, or a data directory): the family's policy, catalog and introspection. */
export function openPgliteEngine(name: string, config: PgliteSourceConfig, log: Logger, policy: SqlPolicy): EngineParts {
  const source = new PgliteSource(name, config, log);
  source.warm();
  return postgresFamilyParts(source, policy);
}
