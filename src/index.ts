export { createContext } from './app.js';
export { loadConfig } from './config/load.js';
export type { BastionConfig } from './config/schema.js';
export { BastionError, type ErrorCode } from './errors/codes.js';
export { SqlPolicy } from './engines/postgres-family/index.js';
export type { CheckedStatement, ReadTool } from './engine/policy.js';
export { createSessionServer } from './tools/session-server.js';
export { BastionHttpServer } from './transport/http/server.js';
