import type { BastionConfig } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import { FileApiKeyStore } from './file-store.js';
import { knownRoles } from '../../authorize/roles.js';
import type { ApiKeyStore } from './store.js';
import { ApiKeyVerifier } from './verifier.js';

export interface ApiKeys {
  store: ApiKeyStore;
  verifier: ApiKeyVerifier;
  /** Stops the poll, writes buffered last-used times, releases the store. */
  close(): Promise<void>;
}

/**
 * The configured store: the PostgreSQL table when `state.url` is set (replicas share
 * keys), otherwise `<state.dir>/api-keys.json`. The pg driver loads only in the first case.
 */
export async function openApiKeyStore(config: BastionConfig, log: Logger): Promise<ApiKeyStore> {
  if (config.state.url !== undefined) {
    const { PostgresApiKeyStore } = await import('./postgres-store.js');
    return PostgresApiKeyStore.open(config.state.url, log);
  }
  return FileApiKeyStore.open(config.state.dir, log);
}

/** The store plus a verifier already loaded and polling; a store that cannot be read stops the start. */
export async function openApiKeys(config: BastionConfig, log: Logger): Promise<ApiKeys> {
  const store = await openApiKeyStore(config, log);
  let verifier: ApiKeyVerifier;
  try {
    verifier = await ApiKeyVerifier.create({ store, log, knownRoles: knownRoles(config) });
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    store,
    verifier,
    async close() {
      verifier.close();
      await store.close();
    },
  };
}
