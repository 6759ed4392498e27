import { SqlPolicy, type SqlPolicyOptions } from './policy/policy.js';

export { SqlPolicy, type SqlPolicyOptions };

/** The libpg-query policy the family's sources share: loads the parser's WASM, then checks the options. */
export function createSqlPolicy(options: SqlPolicyOptions): Promise<SqlPolicy> {
  return SqlPolicy.create(options);
}
