import { hostname } from 'node:os';
import type { BastionConfig } from '../config/schema.js';
import { BastionError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { AuditLogError } from './errors.js';
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

/** The default instance name: the host name, cut to the characters the config allows. */
export function defaultInstance(): string {
  return hostname().replace(/[^A-Za-z0-9_.:-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128) || 'bastion';
}

/**
 * Opens the configured sinks. A sink that cannot open stops the start: a server
 * that promises an audit trail does not run without one.
 */
export async function openAuditTrail(config: BastionConfig, log: Logger): Promise<AuditTrail> {
  const audit = config.audit;
  if (!audit.enabled) {
    log.warn('audit is disabled (audit.enabled: false): tool calls and failed authentications are not recorded');
    return DISABLED;
  }
  const instance = audit.instance ?? defaultInstance();
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
    case 'file':
      return AuditFileSink.open({
        dir: audit.dir ?? config.state.dir,
        key: audit.key,
        instance,
        log,
        rotate: { maxBytes: audit.rotate.max_bytes, daily: audit.rotate.daily },
        waitForSync: audit.durability === 'fsync',
      });
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
