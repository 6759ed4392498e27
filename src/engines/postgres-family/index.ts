import { SqlPolicy, extraFunctionsOf, type SqlPolicyOptions } from './policy/policy.js';

export { SqlPolicy, extraFunctionsOf, type SqlPolicyOptions };

/** The libpg-query policy the family's sources share: loads the parser's WASM, then checks the options. */
export function createSqlPolicy(options: SqlPolicyOptions): Promise<SqlPolicy> {
  return SqlPolicy.create(options);
}
