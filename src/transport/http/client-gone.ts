import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Calls `gone` once if the client goes away before `res` is finished: the response closes
 * early, or the connection closes. The connection must be watched too: a request pipelined
 * behind another on one keep-alive connection has a response that never emits `close` when the
 * connection dies (node:http ends only the response being written), and its request emits
 * `close` as soon as its body is read, so neither says the client left. The listeners go when
 * the response finishes, so a long-lived connection does not collect them.
 */
export function whenClientGone(req: IncomingMessage, res: ServerResponse, gone: () => void): void {
  const socket = req.socket;
  const done = (): void => {
    socket.off('close', left);
    res.off('close', left);
    res.off('finish', done);
  };
  const left = (): void => {
    done();
    if (!res.writableFinished) gone();
  };
  res.once('finish', done);
  res.once('close', left);
  if (socket.destroyed) {
    left();
    return;
  }
  socket.once('close', left);
}
