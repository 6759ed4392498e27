import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv4 } from 'node:net';

/** The address a request comes from, for the failed-login throttle, the log and the audit. */
export type ClientAddressOf = (req: IncomingMessage) => string;

/**
 * Compiles `server.http.trusted_proxies` once. Without trusted proxies the socket's
 * peer is the client and X-Forwarded-For is ignored: anyone can write that header, so
 * believing it would let a client pick the address its failures are counted under.
 * When the peer is a trusted proxy, the X-Forwarded-For list is walked from the right
 * (each proxy appends the address it saw), skipping trusted proxies; the first
 * untrusted hop is the client. Hops left of it were written by the client and mean nothing.
 */
export function createClientAddress(trustedProxies: readonly string[]): ClientAddressOf {
  const peerOf = (req: IncomingMessage): string => unmapIPv4(req.socket.remoteAddress ?? 'unknown');
  if (trustedProxies.length === 0) return peerOf;
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = '', prefix] = entry.split('/');
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(prefix), type);
  }
  const isTrusted = (address: string): boolean => trusted.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');

  return (req) => {
    let client = peerOf(req);
    if (isIP(client) === 0 || !isTrusted(client)) return client;
    const header = req.headers['x-forwarded-for'];
    // node joins repeated X-Forwarded-For headers with ", ", in the order received.
    const hops = typeof header === 'string' ? header.split(',') : [];
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hopAddress(hops[i] ?? '');
      // A trusted proxy vouched for something that is not an address: the proxy itself
      // is the last address known to be real.
      if (hop === undefined) return client;
      client = hop;
      if (!isTrusted(hop)) return hop;
    }
    return client;
  };
}

/** The address of one X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`. */
function hopAddress(entry: string): string | undefined {
  let value = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed !== null) value = bracketed[1] ?? '';
  else if (/^[\d.]+:\d{1,5}$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  return isIP(value) === 0 ? undefined : unmapIPv4(value);
}

/** `::ffff:203.0.113.5` (an IPv4 client on a dual-stack socket) written as the IPv4 address it is. */
function unmapIPv4(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match?.[1] ?? address;
}
