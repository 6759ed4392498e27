export { API_KEY_PATTERN, API_KEY_PREFIX, KEY_ID_PATTERN, generateApiKey, generateKeyId, hashApiKey, isWellFormedApiKey } from './key.js';
export { parseKeyLifetime } from './duration.js';
export type { ApiKeyRecord, ApiKeySnapshot, ApiKeyStore, CreatedApiKey, NewApiKey, StoredApiKey } from './store.js';
export { FileApiKeyStore, API_KEYS_FILE } from './file-store.js';
export { ApiKeyVerifier, type ApiKeyVerifierOptions } from './verifier.js';
export { openApiKeyStore, openApiKeys, type ApiKeys } from './open.js';
