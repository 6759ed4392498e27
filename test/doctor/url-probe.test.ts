import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeUrl } from '../../src/doctor/url-probe.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A stand-in server answering the MCP endpoint with `status` (and a challenge when asked). */
async function serveStatus(status: number, challenge: boolean): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    if (req.url === '/healthz') {
      res.writeHead(200).end('ok');
      return;
    }
    res.writeHead(status, challenge ? { 'www-authenticate': 'Bearer' } : {}).end('{}');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server?.address() as AddressInfo).port}/mcp`;
}

describe('--url probe', () => {
  it('401 with WWW-Authenticate passes', async () => {
    const checks = await probeUrl(await serveStatus(401, true));
    expect(checks.map((c) => [c.id, c.status])).toEqual([['url-health', 'pass'], ['url-auth', 'pass']]);
  });

  it('200 to an unauthenticated initialize on loopback warns (it would fail on a network address)', async () => {
    const checks = await probeUrl(await serveStatus(200, false));
    expect(checks[1]?.status).toBe('warn');
    expect(checks[1]?.detail).toContain('answers without authentication');
  });

  it('an unreachable server fails', async () => {
    const url = await serveStatus(401, true);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    expect((await probeUrl(url)).map((c) => c.status)).toEqual(['fail', 'fail']);
  });

  it('a URL that is not http(s) fails without contacting anything', async () => {
    expect((await probeUrl('file:///etc/passwd'))[0]?.status).toBe('fail');
  });
});
