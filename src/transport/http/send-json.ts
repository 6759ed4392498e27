import type { ServerResponse } from 'node:http';

/** Ends `res` with a JSON body and its length; `closeConnection` when the rest of the request is left unread. */
export function sendJson(res: ServerResponse, status: number, body: unknown, closeConnection = false): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
  if (closeConnection) headers['connection'] = 'close';
  res.writeHead(status, headers).end(text);
}
