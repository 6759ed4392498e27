import { isLoopbackAddress } from '../util/loopback.js';
import { fail, pass, warn, type Check } from './check.js';

/**
 * `--url`: asks a running server, from outside, the two questions that matter — is
 * it up, and does it refuse a caller without credentials. Only the given URL is
 * contacted, and each request is bounded.
 */

const PROBE_TIMEOUT_MS = 5000;

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bastion-doctor', version: '1' } },
});

export async function probeUrl(url: string): Promise<Check[]> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return [fail('url', 'Server URL', 'The --url value is not a URL.', 'Give the endpoint, e.g. https://bastion.example.com/mcp.')];
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return [fail('url', 'Server URL', `--url must use http or https, not ${target.protocol}`, 'Give the endpoint, e.g. https://bastion.example.com/mcp.')];
  }
  const loopback = isLoopbackAddress(target.hostname);
  return [await probeHealth(target), await probeUnauthenticated(target, loopback)];
}

async function probeHealth(target: URL): Promise<Check> {
  const health = new URL('/healthz', target);
  const title = 'Server health';
  try {
    const response = await fetch(health, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
    await response.body?.cancel();
    if (response.ok) return pass('url-health', title, `${health.href} answers ${response.status}.`);
    return warn('url-health', title, `${health.href} answers ${response.status}.`, 'Check that the URL points at bastion serve --http.');
  } catch {
    return fail('url-health', title, `${health.href} is unreachable.`, 'Start the server, or check the URL, the port and the firewall.');
  }
}

async function probeUnauthenticated(target: URL, loopback: boolean): Promise<Check> {
  const title = 'Unauthenticated request';
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: INITIALIZE,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel();
  } catch {
    return fail('url-auth', title, `${target.href} is unreachable.`, 'Start the server, or check the URL, the port and the firewall.');
  }
  if (response.status === 401 && response.headers.has('www-authenticate')) {
    return pass('url-auth', title, 'An initialize without credentials gets 401 with a WWW-Authenticate challenge.');
  }
  if (response.ok) {
    const detail = `The server answers without authentication (${response.status} to an initialize without credentials).`;
    const fix = 'Remove --no-auth and give clients an API key or a JWT.';
    return loopback ? warn('url-auth', title, `${detail} It is on a loopback address.`, fix) : fail('url-auth', title, detail, fix);
  }
  return warn(
    'url-auth',
    title,
    `An initialize without credentials gets ${response.status}${response.status === 401 ? ' without a WWW-Authenticate challenge' : ''}, not 401 with a challenge.`,
    'Check that the URL is the /mcp endpoint of bastion serve --http, and any proxy in front of it.',
  );
}
