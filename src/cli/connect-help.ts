import { fileURLToPath } from 'node:url';
import type { ServeOptions } from './serve.js';

/** What a person needs to connect a client, printed to stderr when it is a terminal. */
export function connectHelp(url: string, options: ServeOptions): string {
  const bin = fileURLToPath(new URL('./main.js', import.meta.url));
  const args = [bin, 'serve'];
  if (options.db !== undefined) args.push('--db', '<your database URL>');
  if (options.config !== undefined) args.push('--config', options.config);
  const snippet = JSON.stringify({ mcpServers: { bastion: { command: 'node', args } } }, null, 2);
  return [
    '',
    `Bastion is listening at ${url} (Streamable HTTP, loopback only, no authentication).`,
    '',
    'Claude Desktop / Cursor (stdio) — add to claude_desktop_config.json or .cursor/mcp.json:',
    snippet,
    '',
    'Stop with Ctrl+C.',
    '',
  ].join('\n');
}
