import type { PostgresSourceConfig } from '../../config/schema.js';
import type { EngineParts } from '../../engine/parts.js';
import type { Logger } from '../../log/logger.js';
import { postgresFamilyParts } from '../postgres-family/parts.js';
import type { SqlPolicy } from '../postgres-family/policy/policy.js';
import { PostgresSource } from './source.js';

/** A PostgreSQL server: pg's pool behind the READ ONLY wrapper, the family's policy, catalog and introspection. */
export function openPostgresEngine(name: string, config: PostgresSourceConfig, log: Logger, policy: SqlPolicy): EngineParts {
  const source = new PostgresSource(name, config, log);
  void source.checkPrivileges();
  return postgresFamilyParts(source, policy);
}
export { probePostgresLogin } from './login.js';
