import { closeContext, createContext } from '../app.js';
import { BastionError } from '../errors/codes.js';
import { LOCAL_PRINCIPAL } from '../auth/identity/principal.js';
import { createSessionServer } from '../tools/session-server.js';
import { startMetricsListener } from '../transport/http/metrics-listener.js';
import { startHttp } from '../transport/http/start.js';
import { serveStdio } from '../transport/stdio.js';
import { connectHelp } from './connect-help.js';

export interface ServeOptions {
  http?: boolean;
  host?: string;
  port?: string;
  config?: string;
  db?: string;
  /** --files DIR, repeatable. */
  files?: string[];
  /** commander's --no-auth sets auth=false. */
  auth?: boolean;
  /** --rate-limit N: calls per minute per principal, over rate_limits.per_principal_per_minute. */
  rateLimit?: string;
  /** --connect-help / --no-connect-help; unset: print it when stderr is a terminal. */
  connectHelp?: boolean;
}

export async function serve(options: ServeOptions): Promise<void> {
  const ratePerPrincipalPerMinute = options.rateLimit === undefined ? undefined : parseRateLimit(options.rateLimit);
  const { ctx, origin, state, envFile } = await createContext(
    { configPath: options.config, db: options.db, files: options.files },
    { ratePerPrincipalPerMinute },
  );
  const { log } = ctx;
  // Where this server keeps keys, approvals and the audit log, and why there (never a secret).
  const where = { config: origin, state: state.dir, state_from: state.from, ...(envFile === undefined ? {} : { env_file: envFile.path }) };

  if (!options.http) {
    // Over stdio there is no main listener: metrics are served only on metrics.listen (loopback).
    let stopMetrics: (() => Promise<void>) | undefined;
    // Read only when metrics are collected (a scrape, an OTLP export).
    ctx.metrics.trackSources(() => ctx.sources.list());
    if (ctx.metrics.enabled && ctx.config.metrics.listen !== undefined) {
      try {
        stopMetrics = await startMetricsListener(ctx, ctx.config.server.http, ctx.config.metrics.listen);
      } catch (error) {
        await closeContext(ctx);
        throw error;
      }
    } else if (ctx.metrics.enabled) {
      log.warn('metrics.enabled has no effect over stdio without metrics.listen (there is no HTTP listener to serve /metrics on)');
    }
    // On 2026-07-28 a write's approval is not asked by elicitation (that era has no
    // server-to-client requests): it stays pending for the CLI, as without the capability.
    const { closed } = await serveStdio((era) => createSessionServer(ctx, LOCAL_PRINCIPAL, { elicitation: era === 'legacy' }));
    log.info({ transport: 'stdio', ...where, sources: ctx.sources.list().map((s) => s.name) }, 'bastion serving over stdio');
    await closed;
    await stopMetrics?.();
    await closeContext(ctx);
    return;
  }

  const http = { ...ctx.config.server.http };
  if (options.host !== undefined) http.host = options.host;
  if (options.port !== undefined) http.port = parsePort(options.port);
  // Handlers first, so a signal that arrives right after start-up still shuts down cleanly.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const started = await startHttp(ctx, http, { noAuth: options.auth === false });
  const auth = options.auth === false ? 'none (loopback only)' : 'required';
  log.info({ transport: 'http', url: started.url, ...where, auth }, 'bastion serving over HTTP');
  // Plain text on stderr (stdout stays clean). Without a terminal it is only printed when asked
  // (npm start asks): a deployment's stderr carries JSON log lines only.
  if (options.connectHelp ?? process.stderr.isTTY) process.stderr.write(connectHelp({ url: started.url, noAuth: options.auth === false, db: options.db, config: options.config }));

  await stopped;
  await started.close();
  await closeContext(ctx);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new BastionError('CONFIG_INVALID', `--port: expected a number from 0 to 65535, got ${JSON.stringify(value)}.`);
  }
  return port;
}

/** --rate-limit: a whole number of calls per minute, at least 1 (0 would refuse every call). */
function parseRateLimit(value: string): number {
  const perMinute = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(perMinute >= 1)) {
    throw new BastionError('CONFIG_INVALID', `--rate-limit: expected a whole number of calls per minute, 1 or more (e.g. --rate-limit 600), got ${JSON.stringify(value)}.`);
  }
  return perMinute;
}
