import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { BastionError } from '../errors/codes.js';
import { createProgress, type ProgressOptions } from './progress.js';

interface InitOptions {
  force?: boolean;
  dir?: string;
}

/** Lines a project's .gitignore needs so secrets and local state are never committed. */
const IGNORED = ['.env', '.bastion/'] as const;

/** `bastion init`: a commented bastion.yaml with every default and a .env.example. Each write shows on stderr (`progress` redirects it). */
export function registerInitCommand(program: Command, { progress: progressOptions }: { progress?: ProgressOptions } = {}): void {
  program
    .command('init')
    .description('Write a commented bastion.yaml and .env.example')
    .option('--force', 'overwrite existing files')
    .option('--dir <dir>', 'folder to write into (default: the current folder)')
    .action((options: InitOptions) => {
      const progress = createProgress('init', progressOptions);
      let written: string[];
      try {
        written = initProject(resolve(options.dir ?? '.'), options.force === true, (path) => progress.step(`writing ${path}`));
      } finally {
        progress.done();
      }
      process.stdout.write(written.map((line) => `${line}\n`).join('') + 'Next: bastion doctor, then bastion serve.\n');
    });
}

/**
 * Writes the files and returns one line per change; refuses, writing nothing, when a
 * file exists without force. `writing` is told each path just before it is written.
 */
export function initProject(dir: string, force: boolean, writing?: (path: string) => void): string[] {
  const files = [
    { path: join(dir, 'bastion.yaml'), text: CONFIG_TEMPLATE, mode: 0o600 },
    { path: join(dir, '.env.example'), text: ENV_TEMPLATE, mode: 0o644 },
  ];
  const existing = files.filter((f) => existsSync(f.path)).map((f) => f.path);
  if (existing.length > 0 && !force) {
    throw new BastionError('INVALID_ARGUMENT', `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written. Use --force to overwrite.`);
  }
  mkdirSync(dir, { recursive: true });
  const done: string[] = [];
  for (const file of files) {
    writing?.(file.path);
    writeFileSync(file.path, file.text, { mode: file.mode, flag: force ? 'w' : 'wx' });
    done.push(`Wrote ${file.path}`);
  }
  const gitignore = join(dir, '.gitignore');
  if (existsSync(gitignore)) {
    const added = addIgnoredLines(gitignore);
    if (added.length > 0) done.push(`Added ${added.join(', ')} to ${gitignore}`);
  }
  return done;
}

/** Appends the IGNORED lines that are missing (in any common spelling); returns those added. */
function addIgnoredLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const present = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = IGNORED.filter((line) => !present.has(line.replace(/\/$/, '')));
  if (missing.length === 0) return [];
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileSync(path, `${text}${separator}${missing.join('\n')}\n`);
  return [...missing];
}

/**
 * What `bastion init` writes. Every top-level section is present with its default
 * (so the file loads as it is, with no environment variable set), and each secret
 * appears only as a commented ${ENV_VAR} reference listed in .env.example.
 */
export const CONFIG_TEMPLATE = `# bastion.yaml — written by \`bastion init\`. Every value below is the default;
# unknown keys and typos stop the start, so a misspelt safety setting never
# silently falls back to something more permissive. Secrets go in the environment
# (see .env.example): this file only names the variable, never holds the value.
# Check the result with: bastion doctor

# Databases the assistant may use, by name. Read-only unless writes.enabled.
sources:
  # The embedded demo database (PGlite, in memory): try Bastion with nothing installed.
  demo:
    engine: pglite
  # PostgreSQL: connect as a low-privilege role, never a superuser (doctor checks).
  # main:
  #   engine: postgres
  #   url: \${DATABASE_URL}
  #   statement_timeout_ms: 30000      # enforced by the server itself
  #   temp_file_limit_mb: 1024         # per call, when the login may set it (doctor checks)
  #   work_mem_mb: 16                  # per call: memory per sort or hash before it spills
  #   writes:
  #     enabled: false                 # governed INSERT/UPDATE/DELETE and DDL on ai_* objects
  #     prefix: ai_
  #     schemas: [public]              # where change_schema may create (default: public)
  # MySQL or MariaDB: read-only transactions and a server-side time limit.
  # shop:
  #   engine: mysql
  #   url: \${MYSQL_URL}
  #   writes:
  #     enabled: false                 # DDL dry runs only validate (MySQL commits DDL implicitly)
  #                                    # schemas default: the URL's database
  # SQLite, opened read-only (a second, read-write connection only when writes are enabled):
  # local:
  #   engine: sqlite
  #   path: ./data.db
  #   worker_memory_mb: 1024           # the worker process's data memory (SQLite's temporary storage included)
  #   worker_heap_mb: 512              # its JavaScript heap, under worker_memory_mb
  #   writes:
  #     enabled: false                 # schemas default: main

# Result caps per call: a bigger result is cut and marked truncated: true.
limits:
  max_rows: 1000
  max_bytes: 1048576
  # max_plan_cost: 10000000            # optional (PostgreSQL, PGlite): refuse a query planned above this cost
  # max_plan_rows: 50000000            # before it runs (PLAN_TOO_COSTLY); costs a round trip per query

# SQL policy: extra functions a query may call (everything unlisted that is not known safe is refused).
sql:
  allow_functions: []

# Streamable HTTP (bastion serve --http). Loopback by default. Any other address needs authentication
# (always on unless --no-auth, which loopback alone allows) and TLS: tls below, or
# tls_terminated_by_proxy: true when a TLS-terminating proxy sits in front; serve refuses otherwise.
server:
  http:
    host: 127.0.0.1
    port: 7300
    allowed_hosts: []                  # Host headers accepted besides loopback names (DNS-rebinding guard)
    allowed_origins: []                # exact browser origins; never a wildcard
    max_body_bytes: 1048576
    max_json_depth: 64
    headers_timeout_ms: 10000
    request_timeout_ms: 60000
    max_sessions: 1000                 # open MCP sessions, all principals together
    max_sessions_per_principal: 32     # past it, that principal's least recently used idle session is closed
    session_idle_timeout_ms: 600000    # a session without a request for 10 minutes is closed
    # tls:                             # native HTTPS; client_ca_file turns on mTLS
    #   cert_file: ./tls/server.crt
    #   key_file: ./tls/server.key
    tls_terminated_by_proxy: false     # true: plain HTTP here, TLS at the proxy in front
    trusted_proxies: []                # proxies whose X-Forwarded-For names the client, e.g. [10.0.0.0/8]

# Who may call over HTTP: API keys (bastion keys create), JWT issuers, or mTLS.
auth:
  api_keys:
    enabled: true
  jwt:
    issuers: []
    # issuers:
    #   - issuer: https://idp.example.com
    #     audience: bastion
    #     algorithms: [HS256]          # pinned: a token with another alg is refused
    #     secret: \${BASTION_JWT_SECRET}
    #     max_lifetime_s: 86400        # tokens living longer are refused
  authorization_servers: []
  tool_scopes: {}

# Custom roles besides the built-in reader, writer and admin: least privilege per principal.
roles: {}
# roles:
#   analyst:
#     tools: ["list_*", describe_table, query]
#     sources: [main]
#     tables: { allow: ["public.*"], deny: ["public.secrets"] }
#     columns: { mask: { "public.users.email": partial } }

# Calls per minute per principal; Redis shares the counters between replicas.
rate_limits:
  per_principal_per_minute: 60         # bastion serve --rate-limit N overrides it
  per_tool: {}
  per_source: {}
  on_store_error: deny                 # fail closed when the shared store is down
  auth_failures_per_minute: 10         # per client address; past it failures get 429, valid credentials still pass

# Local state (API keys, approvals, audit) in a private 0700 folder, relative to this file's folder
# (like every path here); BASTION_STATE_DIR overrides it. url shares state between replicas.
state:
  dir: .bastion
  # url: \${BASTION_STATE_URL}

# redis:                               # shared rate limits for several replicas
#   url: \${REDIS_URL}

# Tamper-evident audit: one hash-chained record per call, allowed or denied.
audit:
  enabled: true
  sinks: [file]
  durability: write                    # or fsync: answer only once the record is on disk
  sync_interval_ms: 100                # with write: fdatasync at most this often (an OS crash can lose that much)
  include_values: false                # SQL text and parameters stay out of the log unless true
  # key: \${BASTION_AUDIT_KEY}          # HMAC key: without it the plain SHA-256 chain can be recomputed

# File tools: none unless roots are listed; .env, .ssh, keys and credentials are always denied.
files:
  roots: []
  # roots: [./docs]
  max_read_bytes: 1048576
  max_results: 100
  search_timeout_ms: 5000

# Prometheus metrics at /metrics: off. With listen, on a loopback listener of their own; without it, admins only.
metrics:
  enabled: false
  # listen: 127.0.0.1:9464

# OpenTelemetry traces and metrics (OTLP over HTTP): off, and not loaded, unless enabled here or by
# the standard OTEL_* variables (which win). Spans carry statement fingerprints, never SQL text or values.
# telemetry:
#   enabled: true
#   endpoint: http://127.0.0.1:4318
#   protocol: http/protobuf        # or http/json
#   service_name: bastion
#   sample_ratio: 1
#   metrics: true                  # false: traces only
#   metric_export_interval_ms: 60000

# The web console at /console of the HTTP listener: people approve or deny pending writes, read the
# audit trail and (admins) manage keys. Sign-in with an approver, auditor or admin API key.
console:
  enabled: true
  session_ttl_s: 900

# A signed webhook announcing each new pending approval (no statement or value in it): off.
# approvals:
#   notify_url: https://chat.example.com/hooks/bastion
#   notify_secret: \${BASTION_WEBHOOK_SECRET}
#   console_url: https://bastion.example.com/console

# Logs go to stderr (stdout belongs to the stdio transport).
log:
  level: info
`;

/** The variables the configuration references, each with what it is for. */
export const ENV_TEMPLATE = `# .env.example — written by \`bastion init\`. Copy to .env beside bastion.yaml (never commit .env)
# and fill in the variables it references: Bastion reads that .env at start, and a variable already
# set in the environment wins. An unset one stops the start with the key named.

# PostgreSQL source: postgres://USER:PASSWORD@HOST:5432/DB (a low-privilege role)
DATABASE_URL=
# MySQL/MariaDB source: mysql://USER:PASSWORD@HOST:3306/DB
MYSQL_URL=
# HS256 secret of a JWT issuer, at least 32 characters (openssl rand -hex 32)
BASTION_JWT_SECRET=
# Signs the pending-approval webhook (approvals.notify_secret), at least 32 characters (openssl rand -hex 32)
BASTION_WEBHOOK_SECRET=
# HMAC key of the audit chain, at least 32 characters (openssl rand -hex 32)
BASTION_AUDIT_KEY=
# PostgreSQL URL for state shared by replicas (API keys, approvals)
BASTION_STATE_URL=
# Redis URL for rate limits shared by replicas: redis://HOST:6379
REDIS_URL=
`;
