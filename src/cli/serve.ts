import { createContext } from '../app.js';
import { BastionError } from '../errors/codes.js';
import { ANONYMOUS_PRINCIPAL, LOCAL_PRINCIPAL } from '../auth/principal.js';
import { createSessionServer } from '../session/server.js';
import { isLoopbackAddress } from '../transport/http/guard.js';
import { BastionHttpServer } from '../transport/http/server.js';
import { serveStdio } from '../transport/stdio.js';
import { connectHelp } from './connect-help.js';

export interface ServeOptions {
  http?: boolean;
  host?: string;
  port?: string;
  config?: string;
  db?: string;
  /** commander's --no-auth sets auth=false. */
  auth?: boolean;
}


export async function serve(options: ServeOptions): Promise<void> {
  const { ctx, origin } = await createContext({ configPath: options.config, db: options.db });
  const { log } = ctx;
  const shutdown = async (): Promise<void> => {
    await ctx.sources.close();
  };

  if (!options.http) {
    const server = createSessionServer(ctx, LOCAL_PRINCIPAL);
    const { closed } = await serveStdio(server);
    log.info({ transport: 'stdio', config: origin, sources: ctx.sources.list().map((s) => s.name) }, 'bastion serving over stdio');
    await closed;
    await shutdown();
    return;
  }

  const http = { ...ctx.config.server.http };
  if (options.host !== undefined) http.host = options.host;
  if (options.port !== undefined) http.port = parsePort(options.port);
  if (options.auth !== false) {
    throw new BastionError(
      'CONFIG_INVALID',
      'HTTP authentication is not available in this version. To serve without authentication on this machine only, add --no-auth (loopback addresses only).',
    );
  }
  if (!isLoopbackAddress(http.host)) {
    throw new BastionError(
      'CONFIG_INVALID',
      `--no-auth is refused on the non-loopback address ${http.host}: anyone who can reach it could query your database. Bind to 127.0.0.1.`,
    );
  }
  // Handlers first, so a signal that arrives right after start-up still shuts down cleanly.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const server = new BastionHttpServer({
    config: http,
    log,
    authenticate: () => ANONYMOUS_PRINCIPAL,
    createSession: (principal) => createSessionServer(ctx, principal),
  });
  const address = await server.listen();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/mcp`;
  log.info({ transport: 'http', url, config: origin, auth: 'none (loopback only)' }, 'bastion serving over HTTP');
  if (process.stderr.isTTY) process.stderr.write(connectHelp(url, options));

  await stopped;
  await server.close();
  await shutdown();
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new BastionError('CONFIG_INVALID', `--port: expected a number from 0 to 65535, got ${JSON.stringify(value)}.`);
  }
  return port;
}
