import type { BastionConfig } from '../config/schema.js';
import type { Check } from './check.js';
import { checkAuditChain } from './audit-chain.js';
import { checkConfig } from './checks.js';
import { checkDatabaseRoles } from './database-role.js';
import { checkFilesRoots } from './files-roots.js';
import { checkFilePermissions } from './permissions.js';
import { checkSecretsInFile } from './secrets.js';
import { probeUrl } from './url-probe.js';

export interface DoctorInput {
  config: BastionConfig;
  /** The configuration file, when there is one. */
  configFile?: string | undefined;
  /** Its text before ${ENV} interpolation. */
  configText?: string | undefined;
  /** --url: a running server to probe from outside. */
  url?: string | undefined;
}

/** Every checklist item, in report order. */
export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  const { config } = input;
  return [
    ...checkConfig(config),
    await checkAuditChain(config),
    ...(await checkDatabaseRoles(config)),
    checkSecretsInFile(input.configText, input.configFile),
    ...checkFilesRoots(config),
    ...checkFilePermissions(config, input.configFile),
    ...(input.url === undefined ? [] : await probeUrl(input.url)),
  ];
}

export { type Check, type CheckStatus } from './check.js';
