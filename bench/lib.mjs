/**
 * Benchmark plumbing: minimal JSON-RPC clients (stdio pipe, keep-alive HTTP),
 * child-process management and /proc sampling. Deliberately no MCP SDK client:
 * its own per-call cost would dominate what we are trying to measure.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';

export const PROTOCOL_VERSION = '2025-06-18';
/** The stateless revision: no initialize, the envelope in every request's `_meta`. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
const CLIENT_INFO = { name: 'bastion-bench', version: '1' };
const MODERN_ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
};

/** A request's params on the 2026-07-28 era: the envelope added to its `_meta`. */
function modernParams(params) {
  return { ...params, _meta: { ...params?._meta, ...MODERN_ENVELOPE } };
}

// ---------------------------------------------------------------- children

const children = new Set();

/**
 * Spawns a server child and waits for the JSON log line whose msg is `readyMsg` (or a
 * plain line matching `readyText`).
 * stderr is drained continuously (a full pipe would stall the child) and its tail
 * kept for error messages.
 */
export function spawnServer({ name, args, readyMsg, readyText, cwd, env, timeoutMs = 20_000 }) {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let tail = '';
  let lineBuf = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('exit', () => children.delete(child));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${timeoutMs} ms\n${tail}`)), timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      tail = (tail + chunk).slice(-4000);
      lineBuf += chunk;
      let nl;
      while ((nl = lineBuf.indexOf('\n')) !== -1) {
        const line = lineBuf.slice(0, nl);
        lineBuf = lineBuf.slice(nl + 1);
        // A server that logs plain text (DBHub): its ready line matched by a pattern, the match returned.
        const text = readyText?.exec(line);
        if (text) {
          clearTimeout(timer);
          resolve({ match: text });
        }
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line);
          if (entry.msg === readyMsg) {
            clearTimeout(timer);
            resolve(entry);
          }
        } catch {
          // not a log line
        }
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited (code ${code}, signal ${signal}) before it was ready\n${tail}`));
    });
  });
  return { child, ready, exited, stderrTail: () => tail };
}

/** Graceful stop (stdin end for stdio servers, SIGTERM otherwise), then SIGKILL. */
export async function stopServer(server, { stdio, graceMs = 4000 }) {
  const { child, exited } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (stdio) child.stdin.end();
  else child.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    if (stdio) child.kill('SIGTERM');
    if ((await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 1000).unref())])) === 'timeout') {
      child.kill('SIGKILL');
    }
  }
}

/** Last resort, synchronous: used from process 'exit' and signal handlers. */
export function killAllChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

// ---------------------------------------------------------------- stdio client

/** Newline-delimited JSON-RPC over a child's stdin/stdout, many requests in flight. */
export class StdioRpc {
  /** `era: 'modern'` speaks 2026-07-28: no initialize, the envelope in every request's `_meta`. */
  constructor(child, { era = 'legacy' } = {}) {
    this.child = child;
    this.modern = era === 'modern';
    this.pending = new Map();
    this.nextId = 1;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.length === 0) continue;
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.id === undefined || msg.method !== undefined) continue; // notifications / server requests
        const p = this.pending.get(msg.id);
        if (p) {
          this.pending.delete(msg.id);
          p.resolve(msg);
        }
      }
    });
    child.once('exit', () => {
      for (const p of this.pending.values()) p.reject(new Error('server exited'));
      this.pending.clear();
    });
    // A dead child's pipe fails writes with EPIPE: the request is refused below instead.
    child.stdin.on('error', () => {});
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        reject(new Error('server exited'));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params: this.modern ? modernParams(params) : params })}\n`);
    });
  }

  notify(method, params) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })}\n`);
  }

  /** 2025: the initialize handshake. 2026-07-28: `server/discover` instead (the connection's opening message names the era). */
  async initialize() {
    if (this.modern) {
      const reply = await this.request('server/discover', {});
      if (reply.error) throw new Error(`server/discover failed: ${JSON.stringify(reply.error)}`);
      if (!reply.result.supportedVersions?.includes(MODERN_PROTOCOL_VERSION)) throw new Error(`server/discover: ${MODERN_PROTOCOL_VERSION} not offered: ${JSON.stringify(reply.result).slice(0, 300)}`);
      return reply.result;
    }
    const reply = await this.request('initialize', { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO });
    if (reply.error) throw new Error(`initialize failed: ${JSON.stringify(reply.error)}`);
    this.notify('notifications/initialized');
    return reply.result;
  }

  async callTool(name, args) {
    return unwrapToolReply(await this.request('tools/call', { name, arguments: args }));
  }
}

// ---------------------------------------------------------------- HTTP client

/** One keep-alive agent per server: 8 sessions, 8 sockets. */
export function createAgent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

function post(url, agent, headers, payload) {
  const body = Buffer.from(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(body.length),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One Streamable HTTP session spoken as raw JSON-RPC (JSON response mode). */
export class HttpSession {
  /** `token`, when given, is sent as `Authorization: Bearer` on every request. */
  /**
   * `era: 'modern'` speaks 2026-07-28: no session, the envelope in every request's `_meta`
   * and the Mcp-Method/Mcp-Name headers. A 2025 server that answers initialize without a
   * session id (a stateless server) is spoken to without one.
   */
  constructor(url, agent, token, { era = 'legacy' } = {}) {
    this.url = new URL(url);
    this.agent = agent;
    this.nextId = 1;
    this.sessionId = undefined;
    this.modern = era === 'modern';
    this.protocolVersion = this.modern ? MODERN_PROTOCOL_VERSION : PROTOCOL_VERSION;
    this.auth = token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  headers(method, name) {
    const h = { 'mcp-protocol-version': this.protocolVersion, ...this.auth };
    if (this.sessionId) h['mcp-session-id'] = this.sessionId;
    if (this.modern) {
      h['mcp-method'] = method;
      if (name !== undefined) h['mcp-name'] = name;
    }
    return h;
  }

  async request(method, params) {
    const id = this.nextId++;
    const body = { jsonrpc: '2.0', id, method, params: this.modern ? modernParams(params) : params };
    const res = await post(this.url, this.agent, this.headers(method, params?.name), JSON.stringify(body));
    if (res.status !== 200) throw new Error(`${method}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    return { res, msg: parseBody(res) };
  }

  async initialize() {
    if (this.modern) {
      const { msg } = await this.request('server/discover', {});
      if (msg.error) throw new Error(`server/discover failed: ${JSON.stringify(msg.error)}`);
      if (!msg.result.supportedVersions?.includes(MODERN_PROTOCOL_VERSION)) throw new Error(`server/discover: ${MODERN_PROTOCOL_VERSION} not offered`);
      return msg.result;
    }
    const id = this.nextId++;
    const res = await post(
      this.url,
      this.agent,
      this.auth,
      JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO } }),
    );
    if (res.status !== 200) throw new Error(`initialize: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    const msg = parseBody(res);
    if (msg.error) throw new Error(`initialize failed: ${JSON.stringify(msg.error)}`);
    // A stateless server (DBHub) answers without a session: the calls go without one too.
    this.sessionId = res.headers['mcp-session-id'];
    this.protocolVersion = msg.result.protocolVersion;
    const note = await post(this.url, this.agent, this.headers('notifications/initialized'), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    if (note.status !== 202 && note.status !== 200) throw new Error(`notifications/initialized: HTTP ${note.status}`);
    return msg.result;
  }

  async callTool(name, args) {
    const { msg } = await this.request('tools/call', { name, arguments: args });
    return unwrapToolReply(msg);
  }
}

function parseBody(res) {
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) return JSON.parse(res.body);
  if (type.startsWith('text/event-stream')) {
    // Not expected (both servers answer in JSON mode), but tolerate one SSE message.
    const data = res.body
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim());
    return JSON.parse(data[data.length - 1]);
  }
  throw new Error(`unexpected content-type ${type}: ${res.body.slice(0, 200)}`);
}

function unwrapToolReply(msg) {
  if (msg.error) throw new Error(`JSON-RPC error ${msg.error.code}: ${msg.error.message}`);
  const result = msg.result;
  if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content).slice(0, 300)}`);
  return result;
}

// ---------------------------------------------------------------- /proc

/** VmRSS and VmHWM of a process, in kB. */
export function memoryOf(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const grab = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: grab('VmRSS'), hwmKb: grab('VmHWM') };
}

/** Resets the peak-RSS watermark (VmHWM) of our own child (Linux clear_refs "5"). */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time of a process (user + system), in ms. Linux clock ticks are 100 Hz. */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU ms of every PostgreSQL backend serving database `db`, by pid (their process
 * title is "postgres: ... <user> <db> <client> ..."). Other databases' backends on
 * this shared machine are left out.
 */
export function pgBackendsCpu(db) {
  const out = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.startsWith('postgres:') || !cmd.includes(` ${db} `)) continue;
      out.set(name, cpuMsOf(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** CPU ms the backends spent between two pgBackendsCpu() snapshots. */
export function pgCpuBetween(before, after) {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

/** Whole-machine busy and total jiffies, for utilisation over an interval. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

// ---------------------------------------------------------------- stats

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
