import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOG_FILE, verifyAuditLog } from '../audit/index.js';
import type { BastionConfig } from '../config/schema.js';
import { fail, pass, type Check } from './check.js';

/** The file sink's hash chain verifies, when there is a log to verify. */
export async function checkAuditChain(config: BastionConfig): Promise<Check> {
  const title = 'Audit log integrity';
  const dir = resolve(config.audit.dir ?? config.state.dir);
  if (!config.audit.enabled || !config.audit.sinks.includes('file')) return pass('audit', title, 'No file sink configured.');
  if (!existsSync(join(dir, LOG_FILE))) return pass('audit', title, `No ${LOG_FILE} in ${dir} yet.`);
  const result = await verifyAuditLog({ dir, key: config.audit.key });
  if (result.ok) return pass('audit', title, `${result.records} record(s) in ${dir} verify.`);
  const bad = result.firstBad;
  return fail(
    'audit',
    title,
    `The chain in ${dir} breaks at ${bad.file ?? LOG_FILE} line ${bad.line}: ${bad.reason}. ${bad.detail}`,
    'Investigate with `bastion audit verify`; keep the broken files as evidence and start a new folder.',
  );
}
