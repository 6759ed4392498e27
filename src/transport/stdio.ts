import type { Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/server';
import { serveStdio as serveBothEras, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { BatchedOutput } from './stdout-batch.js';

/** Which protocol era a stdio connection opened with: 2026-07-28 (`modern`) or a 2025 revision (`legacy`). */
export type ProtocolEra = 'legacy' | 'modern';

/**
 * stdio: one connection, the local user who started the process. stdout carries only MCP.
 * The SDK's entry decides the era from the connection's opening message (`server/discover`
 * or a request with the 2026-07-28 `_meta` envelope; otherwise the 2025 `initialize`
 * handshake) and pins one server from `createServer` for the connection's lifetime; a
 * discarded probe instance may be built first when a client probes and falls back.
 */
export async function serveStdio(createServer: (era: ProtocolEra) => McpServer): Promise<{ closed: Promise<void> }> {
  // Answers that complete in one turn of the event loop leave in one write (stdout-batch.ts).
  const wire = new StdioServerTransport(process.stdin, new BatchedOutput(process.stdout) as unknown as Writable);
  serveBothEras(({ era }) => createServer(era), { transport: wire });
  // The entry owns the wire's callbacks; the connection is over when the wire closes
  // (stdin ended, or the server closed it).
  const closed = new Promise<void>((resolve) => {
    const entryOnClose = wire.onclose;
    wire.onclose = () => {
      entryOnClose?.();
      resolve();
    };
  });
  return { closed };
}
