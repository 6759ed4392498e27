import { join, relative, resolve } from 'node:path';
import { checkChainIndex, LOG_FILE, verifyAuditLog } from '../audit/index.js';
import type { BastionConfig } from '../config/schema.js';
import { fail, pass, type Check } from './check.js';

/** Every hash chain of the file sink verifies (one per server instance), when there is one to verify. */
export async function checkAuditChain(config: BastionConfig): Promise<Check> {
  const title = 'Audit log integrity';
  const dir = resolve(config.audit.dir ?? config.state.dir);
  if (!config.audit.enabled || !config.audit.sinks.includes('file')) return pass('audit', title, 'No file sink configured.');
  const { chains, findings } = await checkChainIndex(dir, config.audit.key);
  const finding = findings[0];
  if (finding !== undefined) {
    const where = finding.line === 0 ? finding.path : `${finding.path} line ${finding.line}`;
    return fail('audit', title, `The audit folder ${dir} fails at ${where}: ${finding.reason}. ${finding.detail}`, 'Investigate with `bastion audit verify`; keep the folder as evidence and start a new one.');
  }
  if (chains.length === 0) return pass('audit', title, `No audit chain in ${dir} yet.`);
  let records = 0;
  for (const chain of chains) {
    const result = await verifyAuditLog({ dir: chain.dir, key: config.audit.key, genesis: chain.genesis, requireHead: chain.requireHead });
    records += result.records;
    // A chain folder without files: its process stopped before its first record.
    if (result.ok || (chain.instance !== null && result.firstBad.reason === 'LOG_MISSING')) continue;
    const bad = result.firstBad;
    return fail(
      'audit',
      title,
      `The chain in ${chain.dir} breaks at ${relative(dir, join(chain.dir, bad.file ?? LOG_FILE))} line ${bad.line}: ${bad.reason}. ${bad.detail}`,
      'Investigate with `bastion audit verify`; keep the broken files as evidence and start a new folder.',
    );
  }
  return pass('audit', title, `${records} record(s) in ${chains.length} chain(s) in ${dir} verify.`);
}
