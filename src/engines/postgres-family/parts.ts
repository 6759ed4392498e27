import type { EngineParts } from '../../engine/parts.js';
import type { Source } from '../../engine/source.js';
import { RelationCatalog } from './catalog.js';
import { PostgresIntrospector } from './introspect.js';
import type { SqlPolicy } from './policy/policy.js';

/** PostgreSQL and PGlite: the libpg-query policy, pg_catalog name resolution and introspection. */
export function postgresFamilyParts(source: Source, policy: SqlPolicy): EngineParts {
  const read: Source['read'] = (request) => source.read(request);
  return {
    source,
    guard: {
      checkRead: (sql, tool) => policy.checkReadOnlyStatement(sql, tool),
      fingerprint: (sql) => policy.fingerprint(sql),
      checkWrite: (sql, tool, options) => policy.checkWriteStatement(sql, tool, options),
      protect: (checked, protection, hashKey) => policy.protectRead(checked, protection, hashKey),
      protectWrite: (checked, protection, hashKey) => policy.protectWrite(checked, protection, hashKey),
    },
    catalog: new RelationCatalog(read),
    introspector: new PostgresIntrospector(read),
  };
}
