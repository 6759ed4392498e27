/**
 * A client that opens connections and never finishes its headers must not keep them: the
 * listener closes each within server.http.headers_timeout_ms and a second (Node checks the
 * timeout only every connectionsCheckingInterval, 30 s by default). An attacker held 20,000
 * half-open connections past 45 s with a 10 s headers timeout.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { createNodeServer } from '../../src/transport/http/node-server.js';

describe('half-open HTTP connections', () => {
  it('a connection whose headers never end is closed soon after headers_timeout_ms', async () => {
    const http = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, server: { http: { headers_timeout_ms: 500 } } }).server.http;
    const server = createNodeServer(http, createLogger('silent'), () => Promise.resolve());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const sockets = Array.from({ length: 5 }, () => connect(port, '127.0.0.1'));
      for (const socket of sockets) socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      // Closed within 10 s, where the default checking interval would keep them 30 s.
      const closed = await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<boolean>((resolve) => {
              const give = setTimeout(() => resolve(false), 10_000);
              socket.on('close', () => {
                clearTimeout(give);
                resolve(true);
              });
              socket.on('error', () => undefined);
              socket.resume();
            }),
        ),
      );
      expect(closed).toEqual([true, true, true, true, true]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 20_000);
});
