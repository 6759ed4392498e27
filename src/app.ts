import { buildRoles } from './authorize/roles.js';
import { loadConfig, type ConfigSources } from './config/load.js';
import { SqlPolicy } from './guard/sql/policy.js';
import { createLogger, type Logger } from './log/logger.js';
import { createRateLimiter } from './ratelimit/index.js';
import type { ServerContext } from './session/context.js';
import { SourceRegistry } from './sources/registry.js';
import { packageVersion } from './util/package-root.js';

/** Builds everything a server needs, once: config, logger, SQL policy, sources. */
export async function createContext(options: ConfigSources): Promise<{ ctx: ServerContext; origin: string }> {
  const { config, origin } = loadConfig(options);
  const log: Logger = createLogger(config.log.level);
  const roles = buildRoles(config);
  const policy = await SqlPolicy.create({ extraFunctions: config.sql.allow_functions });
  const sources = await SourceRegistry.create(config.sources, log);
  const limiter = await createRateLimiter(config, log);
  return { ctx: { config, sources, policy, log, version: packageVersion(), roles, limiter }, origin };
}
