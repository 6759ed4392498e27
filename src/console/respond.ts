import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Html } from './html.js';

/**
 * Every console answer carries these: a Content-Security-Policy that allows the
 * console's own script and style files and nothing else (no inline script, no
 * external asset, no framing, forms post only to the console), and no caching.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser posts `Origin: null`, which the listener's Origin guard refuses.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export function sendPage(res: ServerResponse, status: number, page: Html): void {
  send(res, status, 'text/html; charset=utf-8', page.toString());
}

export function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }).end(body);
}

/** 303 to a console path (always one of ours, never taken from the request). */
export function redirect(res: ServerResponse, path: `/console${string}`): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.writeHead(303, { location: path, 'content-length': '0' }).end();
}

/** Form posts larger than this are refused: a console form holds a few short fields. */
const MAX_FORM_BYTES = 64 * 1024;

/**
 * The fields of an `application/x-www-form-urlencoded` body, at most `limit` bytes
 * (and never more than 64 KiB); undefined for another content type or a larger body.
 */
export async function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const max = Math.min(limit, MAX_FORM_BYTES);
  if (type !== 'application/x-www-form-urlencoded' || Number(req.headers['content-length'] ?? 0) > max) {
    req.resume();
    return undefined;
  }
  // Read to the end whatever the size (an oversized body is drained, not kept), so the answer still reaches the browser.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}
