import { fileURLToPath } from 'node:url';

export interface ConnectHelpOptions {
  /** The MCP endpoint the server listens at. */
  readonly url: string;
  /** Served with --no-auth: clients connect without a credential. */
  readonly noAuth: boolean;
  /** The --db and --config given to serve, repeated in the stdio snippet (the URL itself never: it may hold a password). */
  readonly db?: string | undefined;
  readonly config?: string | undefined;
}

/**
 * What a person needs to connect a client, written to stderr after `serve --http`
 * starts, when stderr is a terminal or with --connect-help (npm start passes it).
 * Names the credential a client needs, never a secret.
 */
export function connectHelp({ url, noAuth, db, config }: ConnectHelpOptions): string {
  const bin = fileURLToPath(new URL('./main.js', import.meta.url));
  const args = [bin, 'serve'];
  if (db !== undefined) args.push('--db', '<your database URL>');
  if (config !== undefined) args.push('--config', config);
  const snippet = JSON.stringify({ mcpServers: { bastion: { command: 'node', args } } }, null, 2);
  const access = noAuth
    ? 'loopback only, no authentication'
    : 'each client needs a credential: an API key from `bastion keys create --name NAME --role reader`, a JWT, or a client certificate';
  const header = noAuth ? '' : ' --header "Authorization: Bearer <API key>"';
  return [
    '',
    `Bastion is listening at ${url} (Streamable HTTP, ${access}).`,
    '',
    `Claude Code (HTTP): claude mcp add --transport http bastion ${url}${header}`,
    '',
    'Claude Desktop / Cursor (stdio) — add to claude_desktop_config.json or .cursor/mcp.json:',
    snippet,
    '',
    'Stop with Ctrl+C.',
    '',
  ].join('\n');
}
