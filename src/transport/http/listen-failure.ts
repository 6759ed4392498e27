import { BastionError } from '../../errors/codes.js';

/**
 * A listen failure a person can act on: which address, and where to choose another
 * (`how`: the flag or key that sets the port, the host). Other errors pass through unchanged.
 */
export function listenFailure(error: unknown, host: string, port: number, how: { port: string; host: string }): unknown {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((error as { code?: unknown } | null)?.code) {
    case 'EADDRINUSE':
      return new BastionError('CONFIG_INVALID', `Port ${port} is already in use on ${host} (another Bastion or another program listens at ${where}). Choose another port with ${how.port}, or stop the other process.`);
    case 'EACCES':
      return new BastionError('CONFIG_INVALID', `Listening at ${where} is not permitted (ports below 1024 need privileges). Choose a port above 1023 with ${how.port}.`);
    case 'EADDRNOTAVAIL':
      return new BastionError('CONFIG_INVALID', `${host} is not an address of this machine, so nothing can listen at ${where}. Choose one of its addresses (or 127.0.0.1) with ${how.host}.`);
    default:
      return error;
  }
}
