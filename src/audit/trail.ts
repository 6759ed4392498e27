import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BastionConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { LOCK_TIMES } from '../util/file-lock.js';
import { AuditLogError } from './errors.js';
import { sealAbandonedChains } from './abandoned.js';
import { registerChain } from './chain-index.js';
import { auditChainDir } from './chains.js';
import { AuditFileSink } from './file-sink.js';
import type { AuditEvent } from './record.js';
import type { AuditSink } from './sink.js';
import { AuditStderrSink } from './stderr-sink.js';

/** The audit stage: every call and failed authentication is recorded here before it is answered. */
export interface AuditTrail {
  readonly enabled: boolean;
  /** The server instance named in every record. */
  readonly instance: string;
  /** Resolves once every sink has kept the record; rejects if any could not. */
  record(event: AuditEvent): Promise<void>;
  close(): Promise<void>;
}

const DISABLED: AuditTrail = {
  enabled: false,
  instance: '',
  record: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/**
 * The default instance name, new for every process: `<host>-<pid>-<random>`, in the
 * characters the config allows. Any number of servers may share a folder, each with
 * its own chain; the random part keeps a restarted container (pid 1 again) apart too.
 */
export function defaultInstance(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.:-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 96) || 'bastion';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * A held lock on a configured instance's chain is waited for this long: a restart
 * overlapping the old process's exit, or following its kill -9 (its lock frees once
 * its heartbeat is older than the short bound), with one heartbeat to spare.
 */
const CHAIN_LOCK_WAIT_MS = LOCK_TIMES.deadAfterMs + LOCK_TIMES.heartbeatMs;
/** The chains of processes killed just before this start still had a fresh heartbeat: look again once it has lapsed. */
const SECOND_SWEEP_MS = LOCK_TIMES.deadAfterMs + LOCK_TIMES.heartbeatMs;

export interface AuditTrailOptions {
  /**
   * The chain's instance instead of `audit.instance`: a command that is not a server
   * (`bastion approvals`) writes a chain of its own, never a server's.
   */
  readonly instance?: string;
}

/**
 * Opens the configured sinks. A sink that cannot open stops the start: a server
 * that promises an audit trail does not run without one.
 */
export async function openAuditTrail(config: BastionConfig, log: Logger, options: AuditTrailOptions = {}): Promise<AuditTrail> {
  const audit = config.audit;
  if (!audit.enabled) {
    log.warn('audit is disabled (audit.enabled: false): tool calls, failed authentications and approval decisions are not recorded');
    return DISABLED;
  }
  const instance = options.instance ?? audit.instance ?? defaultInstance();
  const sinks: AuditSink[] = [];
  try {
    for (const kind of audit.sinks) sinks.push(await openSink(kind, config, instance, log));
  } catch (error) {
    await Promise.allSettled(sinks.map((sink) => sink.close()));
    if (error instanceof AuditLogError) throw new BastionError('CONFIG_INVALID', `audit: ${error.message}`, error);
    throw error;
  }
  const only = sinks.length === 1 ? sinks[0] : undefined;
  return {
    enabled: true,
    instance,
    record: only
      ? async (event) => {
          await only.append(event);
        }
      : async (event) => {
          await Promise.all(sinks.map((sink) => sink.append(event)));
        },
    async close() {
      await Promise.allSettled(sinks.map((sink) => sink.close()));
    },
  };
}

async function openSink(kind: BastionConfig['audit']['sinks'][number], config: BastionConfig, instance: string, log: Logger): Promise<AuditSink> {
  const audit = config.audit;
  switch (kind) {
    case 'file': {
      const dir = audit.dir ?? config.state.dir;
      // Indexed before its first record, so `audit verify` notices if the chain is ever deleted.
      const genesis = await registerChain(dir, instance, audit.key);
      const sink = await AuditFileSink.open({
        dir: auditChainDir(dir, instance),
        root: dir,
        key: audit.key,
        instance,
        log,
        rotate: { maxBytes: audit.rotate.max_bytes, daily: audit.rotate.daily },
        waitForSync: audit.durability === 'fsync',
        syncIntervalMs: audit.sync_interval_ms,
        lockWaitMs: CHAIN_LOCK_WAIT_MS,
        genesis: genesis.get(instance),
      });
      // Housekeeping for the folder: never a reason not to start.
      const sweep = async (): Promise<void> => {
        const sealed = await sealAbandonedChains(dir, { key: audit.key, log, except: instance, genesis }).catch((err: unknown) => {
          log.warn({ err }, 'audit: could not look for chains left open by processes that ended; run `bastion audit verify`');
          return [];
        });
        if (sealed.length > 0) log.info({ chains: sealed }, 'audit: closed the chains of processes that ended without closing them');
      };
      await sweep();
      const later = setTimeout(() => void sweep(), SECOND_SWEEP_MS);
      later.unref();
      return {
        kind: sink.kind,
        append: (event) => sink.append(event),
        close: () => {
          clearTimeout(later);
          return sink.close();
        },
      };
    }
    case 'stderr':
      return new AuditStderrSink({ instance, key: audit.key });
    case 'postgres': {
      const url = audit.postgres.url ?? config.state.url;
      if (url === undefined) throw new BastionError('CONFIG_INVALID', 'audit: the postgres sink needs audit.postgres.url or state.url.');
      const { AuditPgSink } = await import('./pg-sink.js');
      return AuditPgSink.open({ url, table: audit.postgres.table, instance, key: audit.key, log });
    }
  }
}
