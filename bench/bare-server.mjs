#!/usr/bin/env node
/**
 * The "protocol ceiling" for the benchmark: a bare MCP SDK server with ONE tool,
 * `query`, that runs the caller's SQL on a pg Pool and returns structuredContent
 * plus a text rendering. No controls at all: no SQL policy, no read-only
 * transaction, no caps, no HTTP guard, no logging per call.
 *
 *   node bench/bare-server.mjs --db postgres://...            # stdio
 *   node bench/bare-server.mjs --db postgres://... --http --port 0
 *
 * HTTP uses the SDK's own StreamableHTTPServerTransport on node:http, one transport
 * plus one McpServer per session, enableJsonResponse: true. The body is read and
 * JSON-parsed here and handed over as parsedBody (as the SDK examples do with
 * express.json()). Ready lines go to stderr as JSON, like Bastion's pino logs.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { z } from 'zod';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}
const db = arg('--db');
const useHttp = process.argv.includes('--http');
const port = Number(arg('--port', '0'));
if (!db) {
  process.stderr.write('usage: bare-server.mjs --db postgres://... [--http --port N]\n');
  process.exit(2);
}

const log = (msg, extra = {}) => process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, ...extra, msg })}\n`);

const pool = new pg.Pool({ connectionString: db, max: 8, application_name: 'bare-mcp' });
pool.on('error', () => {});

function createMcpServer() {
  const server = new McpServer({ name: 'bare', version: '0.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'query',
    {
      description: 'Runs SQL with $n parameters.',
      inputSchema: { sql: z.string(), params: z.array(z.any()).optional() },
      // Same output contract as Bastion's query tool, so the SDK does the same validation work.
      outputSchema: {
        columns: z.array(z.object({ name: z.string(), type: z.string() })),
        rows: z.array(z.array(z.unknown())),
        row_count: z.number().int(),
        truncated: z.boolean(),
      },
    },
    async ({ sql, params }) => {
      const r = await pool.query({ text: sql, values: params ?? [], rowMode: 'array' });
      const structured = {
        columns: r.fields.map((f) => ({ name: f.name, type: String(f.dataTypeID) })),
        rows: r.rows,
        row_count: r.rows.length,
        truncated: false,
      };
      return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
    },
  );
  return server;
}

if (!useHttp) {
  const server = createMcpServer();
  const transport = new StdioServerTransport();
  await server.connect(transport);
  process.stdin.once('end', async () => {
    await server.close();
    await pool.end();
    process.exit(0);
  });
  log('bare serving over stdio', { transport: 'stdio' });
} else {
  /** @type {Map<string, StreamableHTTPServerTransport>} */
  const transports = new Map();

  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const http = createServer(async (req, res) => {
    try {
      if ((req.url ?? '').split('?')[0] !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      const sessionId = req.headers['mcp-session-id'];
      let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
      let body;
      if (req.method === 'POST') {
        body = JSON.parse(await readBody(req));
      }
      if (transport === undefined) {
        if (req.method !== 'POST' || sessionId !== undefined || !isInitializeRequest(body)) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request"}}');
          return;
        }
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: true,
          onsessioninitialized: (id) => transports.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId);
        };
        await createMcpServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      else res.destroy();
    }
  });
  await new Promise((resolve) => http.listen(port, '127.0.0.1', resolve));
  const { port: actual } = http.address();
  log('bare serving over HTTP', { transport: 'http', url: `http://127.0.0.1:${actual}/mcp` });
  const stop = async () => {
    http.closeAllConnections();
    http.close();
    await pool.end().catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
