import { openAuditTrail } from './audit/trail.js';
import { buildRoles } from './authorize/roles.js';
import { loadConfig, type ConfigSources, type LoadedConfig } from './config/load.js';
import type { BastionConfig } from './config/schema.js';
import { checkEngineSettings, engineOpener } from './engines/index.js';
import { createLogger, type Logger } from './log/logger.js';
import { openMetrics, teeMetrics } from './metrics/index.js';
import { createRateLimiter } from './ratelimit/index.js';
import type { RegisterTools, ServerContext } from './session/context.js';
import { SourceRegistry } from './engine/registry.js';
import { openMeter, openTracer } from './telemetry/index.js';
import { packageVersion } from './util/package-root.js';

/** Command-line settings that win over the configuration file. */
export interface ConfigOverrides {
  /** `serve --rate-limit N`: rate_limits.per_principal_per_minute (a role's own limit still applies to its principals). */
  readonly ratePerPrincipalPerMinute?: number | undefined;
}

/** Builds everything a server needs, once: config, logger, sources (with their SQL policies); and says where they came from. */
export async function createContext(
  options: ConfigSources,
  overrides: ConfigOverrides = {},
): Promise<{ ctx: ServerContext } & Omit<LoadedConfig, 'config'>> {
  const { config, ...where } = loadConfig(options);
  return { ctx: await contextFor(withOverrides(config, overrides), createLogger(config.log.level)), ...where };
}

function withOverrides(config: BastionConfig, { ratePerPrincipalPerMinute }: ConfigOverrides): BastionConfig {
  if (ratePerPrincipalPerMinute === undefined) return config;
  return { ...config, rate_limits: { ...config.rate_limits, per_principal_per_minute: ratePerPrincipalPerMinute } };
}

/** Roles, sources (each with its engine's SQL policy), rate limiter and audit trail for a validated configuration. */
export async function contextFor(config: BastionConfig, log: Logger): Promise<ServerContext> {
  const roles = buildRoles(config);
  const fileTools = config.files.roots.length > 0 ? await loadFileTools(config) : undefined;
  await checkEngineSettings(config.sql);
  const sources = await SourceRegistry.create(config.sources, log, engineOpener(config.sql));
  warnUnguardedPlans(config, sources, log);
  const limiter = await createRateLimiter(config, log);
  let audit;
  let approvals;
  try {
    audit = await openAuditTrail(config, log);
    if (Object.values(config.sources).some((source) => source.writes.enabled)) {
      const { openApprovalStore } = await import('./approvals/index.js');
      approvals = await openApprovalStore(config, log);
    }
  } catch (error) {
    await sources.close();
    await limiter.close();
    await audit?.close();
    throw error;
  }
  const approvalWatch = approvals !== undefined && audit.enabled ? (await import('./approvals/watch.js')).watchApprovals(approvals, audit, log) : undefined;
  const prometheus = await openMetrics(config);
  const meter = await openMeter(config, packageVersion(), log);
  const metrics = meter === undefined ? prometheus : teeMetrics(prometheus, meter.counters);
  const tracer = await openTracer(config, packageVersion(), log);
  return { config, sources, log, version: packageVersion(), roles, limiter, audit, approvals, approvalWatch, metrics, fileTools, tracer, meter };
}

/** The plan-cost guard covers only engines with a cost model: said once at start, never silently. */
function warnUnguardedPlans(config: BastionConfig, sources: SourceRegistry, log: Logger): void {
  if (config.limits.max_plan_cost === undefined && config.limits.max_plan_rows === undefined) return;
  const unguarded = sources.list().filter((entry) => entry.source.guardsPlans !== true);
  if (unguarded.length === 0) return;
  log.warn(
    { sources: unguarded.map((entry) => `${entry.name} (${entry.engine})`) },
    'limits.max_plan_cost and max_plan_rows apply to PostgreSQL and PGlite sources only: queries on these sources run without the plan-cost guard',
  );
}

/** The file tools, imported only when roots are configured; a missing or protected root stops the start, not the first call. */
async function loadFileTools(config: BastionConfig): Promise<RegisterTools> {
  const { fileRootsFor, registerFileTools } = await import('./files/tools.js');
  fileRootsFor(config.files);
  return (server, call) => registerFileTools(server, call, config.files);
}

/** Releases what contextFor opened: database pools and workers, the rate-limit store, the audit sinks. */
export async function closeContext(ctx: ServerContext): Promise<void> {
  await ctx.sources.close();
  await ctx.limiter.close();
  await ctx.approvalWatch?.stop();
  await ctx.approvals?.close();
  await ctx.audit.close();
  ctx.metrics.close();
  // Last: the spans and metrics of the calls above are exported before the process ends.
  await Promise.all([ctx.tracer?.close(), ctx.meter?.close()]);
}
