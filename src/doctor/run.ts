import type { EnvFile } from '../config/env-file.js';
import type { BastionConfig } from '../config/schema.js';
import type { StateLocation } from '../config/state-dir.js';
import type { Check } from './check.js';
import { checkAuditChain } from './audit-chain.js';
import { checkConfig } from './checks.js';
import { checkDatabaseRoles } from './database-role.js';
import { checkFilesRoots } from './files-roots.js';
import { checkFilePermissions } from './permissions.js';
import { checkSecretsInFile } from './secrets.js';
import { checkEnvFile, checkStateDir } from './state.js';
import { probeUrl } from './url-probe.js';

export interface DoctorInput {
  config: BastionConfig;
  /** The configuration file, when there is one. */
  configFile?: string | undefined;
  /** Its text before ${ENV} interpolation. */
  configText?: string | undefined;
  /** Where state lives and why (loadConfig's answer); absent, the item is left out. */
  state?: StateLocation | undefined;
  /** The .env read beside the configuration file. */
  envFile?: EnvFile | undefined;
  /** --url: a running server to probe from outside. */
  url?: string | undefined;
  /** Told each slow stage as it starts (a progress line); the text names no URL. */
  onStage?: ((stage: string) => void) | undefined;
}

/** Every checklist item, in report order. */
export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  const { config } = input;
  const stage = input.onStage ?? ((): void => undefined);
  stage('checking the configuration');
  const checks = checkConfig(config);
  if (input.state !== undefined) checks.push(checkStateDir(input.state, { filesInFolder: config.state.url === undefined }), checkEnvFile(input.envFile, input.configFile));
  stage('verifying the audit chain');
  checks.push(await checkAuditChain(config));
  checks.push(...(await checkDatabaseRoles(config, (name) => stage(`connecting to source ${name}`))));
  stage('checking files and permissions');
  checks.push(checkSecretsInFile(input.configText, input.configFile), ...checkFilesRoots(config), ...checkFilePermissions(config, input.configFile));
  if (input.url !== undefined) {
    stage('probing the running server');
    checks.push(...(await probeUrl(input.url)));
  }
  return checks;
}

export { type Check, type CheckStatus } from './check.js';
