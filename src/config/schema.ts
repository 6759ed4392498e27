import { isIP } from 'node:net';
import { z } from 'zod';
import { telemetrySchema, type MetricsExportSettings, type TelemetrySettings } from './telemetry.js';
import { auditSchema, authSchema, identifier, rateLimitSchema, redisSchema, roleSchema, stateSchema, tlsSchema } from './schema-access.js';

/**
 * The bastion.yaml schema. Every object is strict: an unknown key or a typo stops
 * the start, so a misspelt safety setting can never silently fall back to
 * something more permissive.
 */
const positiveInt = z.number().int().positive();

/**
 * Governed writes of one source: off by default. `execute` runs one INSERT, UPDATE,
 * DELETE or MERGE; `change_schema` one DDL statement on objects whose name carries
 * the prefix, in the listed schemas. Dry run is the default, and a real run needs a
 * human's approval unless the caller's role says `approval: none` for the source.
 */
export const writesSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** A change affecting more rows is rolled back entirely. */
  max_affected_rows: positiveInt.max(10_000_000).default(1000),
  /** UPDATE and DELETE without WHERE are refused unless this is true. */
  allow_unbounded: z.boolean().default(false),
  /** Objects the AI owns: created, altered and dropped only under this prefix. */
  prefix: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'lower-case letters, digits and _, starting with a letter').default('ai_'),
  /**
   * Schemas change_schema may touch. Default per engine: `public` on PostgreSQL and
   * PGlite, `main` on SQLite, the URL's database on MySQL (see writeSchemasOf).
   */
  schemas: z.array(z.string().min(1).max(63)).min(1).optional(),
  /** How long an approval stays valid, in seconds. */
  approval_ttl_s: positiveInt.max(7 * 24 * 3600).default(900),
});

const defaultWrites = writesSchema.parse({});

const postgresSource = z.strictObject({
  engine: z.literal('postgres'),
  url: z.string().min(1),
  /** Optional low-privilege role applied with SET LOCAL ROLE on every call. */
  role: z.string().min(1).max(63).optional(),
  /** Kept so older configs load; `writes.enabled` is what allows changes (false here is refused: it would suggest writes). */
  read_only: z.literal(true, { error: 'read_only only accepts true; enable governed writes with writes.enabled: true' }).optional(),
  writes: writesSchema.default(defaultWrites),
  statement_timeout_ms: positiveInt.max(3_600_000).default(30_000),
  lock_timeout_ms: positiveInt.max(3_600_000).default(5_000),
  /**
   * Per call, the temporary-file space one statement may fill (temp_file_limit), in MiB:
   * enough for a large legitimate sort, while a runaway one stops long before the disk fills.
   * Set only when the login may set it (superuser or GRANT SET ON PARAMETER); doctor says.
   */
  temp_file_limit_mb: positiveInt.max(1_048_576).default(1024),
  /** Per call, the memory each sort or hash of a statement uses before it spills to disk (work_mem), in MiB. */
  work_mem_mb: positiveInt.max(2048).default(16),
  pool: z
    .strictObject({
      max: positiveInt.max(200).default(10),
      idle_timeout_ms: positiveInt.default(30_000),
      connect_timeout_ms: positiveInt.default(10_000),
      /** How long a call waits for a free connection when all pool.max are in use, before SOURCE_BUSY. */
      acquire_timeout_ms: positiveInt.max(600_000).default(5_000),
    })
    .default({ max: 10, idle_timeout_ms: 30_000, connect_timeout_ms: 10_000, acquire_timeout_ms: 5_000 }),
});

const pgliteSource = z.strictObject({
  engine: z.literal('pglite'),
  /** A PGlite data directory; omitted means the bundled demo database (in memory). */
  path: z.string().min(1).optional(),
  read_only: z.literal(true, { error: 'read_only only accepts true; enable governed writes with writes.enabled: true' }).optional(),
  writes: writesSchema.default(defaultWrites),
  statement_timeout_ms: positiveInt.max(3_600_000).default(30_000),
  /** Per call, as on PostgreSQL: temporary files one statement may fill (in the data directory, or memory for the demo), in MiB. */
  temp_file_limit_mb: positiveInt.max(1_048_576).default(1024),
  /** Per call, as on PostgreSQL: memory per sort or hash before it spills (work_mem), in MiB. */
  work_mem_mb: positiveInt.max(2048).default(16),
  /**
   * The engine runs one call at a time: how long a call waits while it runs others, before
   * SOURCE_BUSY (so one caller's slow statements hold another up for at most this long).
   */
  queue_timeout_ms: positiveInt.max(600_000).default(5_000),
});

/** MySQL and MariaDB (told apart by the server's version string at connect time). */
const mysqlSource = z.strictObject({
  engine: z.literal('mysql'),
  url: z.string().min(1),
  /** Databases this source serves (listed, described, read); default: the URL's database, or all when it names none. */
  schemas: z.array(z.string().min(1).max(64)).min(1).optional(),
  read_only: z.literal(true, { error: 'read_only only accepts true' }).optional(),
  writes: writesSchema.default(defaultWrites),
  statement_timeout_ms: positiveInt.max(3_600_000).default(30_000),
  pool: z
    .strictObject({
      max: positiveInt.max(200).default(10),
      connect_timeout_ms: positiveInt.default(10_000),
      /** How long a call waits for a free connection when all pool.max are in use, before SOURCE_BUSY. */
      acquire_timeout_ms: positiveInt.max(600_000).default(5_000),
    })
    .default({ max: 10, connect_timeout_ms: 10_000, acquire_timeout_ms: 5_000 }),
});

const sqliteSource = z.strictObject({
  engine: z.literal('sqlite'),
  /** The database file; read through a read-only connection (a writable one is opened only with writes.enabled). */
  path: z.string().min(1),
  read_only: z.literal(true, { error: 'read_only only accepts true' }).optional(),
  writes: writesSchema.default(defaultWrites),
  statement_timeout_ms: positiveInt.max(3_600_000).default(30_000),
  /**
   * The engine runs one call at a time: how long a call waits while it runs others, before
   * SOURCE_BUSY (so one caller's slow statements hold another up for at most this long).
   */
  queue_timeout_ms: positiveInt.max(600_000).default(5_000),
  /**
   * The worker process's whole data memory (RLIMIT_DATA, set through util-linux prlimit), in MiB:
   * SQLite's allocations, buffers and the JavaScript heap. Past it a statement fails with SQLite's
   * out-of-memory error and the worker lives on.
   */
  worker_memory_mb: positiveInt.min(128).max(65_536).default(1024),
  /** The worker's JavaScript heap (V8 --max-old-space-size), in MiB: under worker_memory_mb, which contains it. */
  worker_heap_mb: positiveInt.min(64).max(65_536).default(512),
}).refine((source) => source.worker_heap_mb < source.worker_memory_mb, {
  message: 'worker_heap_mb must be less than worker_memory_mb (the heap lives inside the worker\'s data memory): lower worker_heap_mb or raise worker_memory_mb',
  path: ['worker_heap_mb'],
});

export const sourceSchema = z.discriminatedUnion('engine', [postgresSource, pgliteSource, mysqlSource, sqliteSource]);

/** Read access to files under these roots only; none by default. */
const filesSchema = z.strictObject({
  roots: z.array(z.string().min(1)).default([]),
  /** read_file returns at most this many bytes per call. */
  max_read_bytes: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
  /** search_files stops after this many matches or this long, whichever comes first. */
  max_results: positiveInt.max(10_000).default(100),
  search_timeout_ms: positiveInt.max(60_000).default(5_000),
  /** Files larger than this are skipped by the content search. */
  max_search_file_bytes: positiveInt.default(4 * 1024 * 1024),
});

/** An IPv4/IPv6 address, or one with a /prefix (10.0.0.0/8, fd00::/8). */
const ipOrCidr = z.string().refine((value) => {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}, 'an IP address or a CIDR range, e.g. 10.0.0.5 or 10.0.0.0/8 or fd00::/8');

const httpSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(7300),
  /** Host header values accepted besides the loopback names. */
  allowed_hosts: z.array(z.string().min(1)).default([]),
  /** Origins accepted besides loopback origins; any other present Origin gets 403. */
  allowed_origins: z.array(z.string().url()).default([]),
  max_body_bytes: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
  max_json_depth: positiveInt.max(1000).default(64),
  headers_timeout_ms: positiveInt.default(10_000),
  request_timeout_ms: positiveInt.default(60_000),
  /** Open MCP sessions on this listener, all principals together. */
  max_sessions: positiveInt.default(1000),
  /**
   * Open sessions per principal: well under max_sessions, so one caller cannot lock the
   * others out. Past it, that principal's least recently used idle session is closed.
   */
  max_sessions_per_principal: positiveInt.default(32),
  /** A session with no request for this long is closed. */
  session_idle_timeout_ms: positiveInt.default(10 * 60_000),
  /** Native HTTPS (and mTLS with client_ca_file). */
  tls: tlsSchema.optional(),
  /**
   * A non-loopback bind without `tls` is refused unless this says a TLS-terminating
   * proxy sits in front (the hop from it to Bastion is then plain HTTP).
   */
  tls_terminated_by_proxy: z.boolean().default(false),
  /**
   * Proxies (IP addresses or CIDR ranges) whose X-Forwarded-For is believed: the
   * client address (failed-login throttle, log, audit) is then the first untrusted
   * hop from the right. Empty: the socket's peer is the client, any X-Forwarded-For ignored.
   */
  trusted_proxies: z.array(ipOrCidr).default([]),
});

const defaultHttp = httpSchema.parse({});

/**
 * Prometheus metrics: off by default. With `listen` ("127.0.0.1:9464"), served at
 * /metrics on a loopback listener of their own; without it, at /metrics on the main
 * HTTP listener, to admins only.
 */
const metricsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  listen: z
    .string()
    .regex(/^(?:\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464 or [::1]:9464')
    .optional(),
});

/**
 * A webhook announcing each new pending approval (a JSON POST signed with HMAC-SHA-256),
 * so a chat tool can link people to the console. Off unless notify_url is set.
 */
const approvalsSchema = z.strictObject({
  notify_url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL').optional(),
  /** Signs each POST (header X-Bastion-Signature); give it as ${ENV}, at least 32 characters. */
  notify_secret: z.string().min(32, 'a webhook secret needs at least 32 characters').optional(),
  /** The console's address as people reach it, for the link in each notification (e.g. https://bastion.example.com/console). */
  console_url: z.string().url().optional(),
});

const consoleSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** A console sign-in lasts this long, in seconds, however active (a new sign-in then). */
  session_ttl_s: positiveInt.min(60).max(12 * 3600).default(900),
});

export const configSchema = z.strictObject({
  sources: z.record(identifier, sourceSchema).refine((s) => Object.keys(s).length > 0, 'configure at least one source'),
  limits: z
    .strictObject({
      max_rows: positiveInt.max(1_000_000).default(1000),
      max_bytes: positiveInt.max(256 * 1024 * 1024).default(1024 * 1024),
      /**
       * Statements one principal may have in flight on one source at a time (reads and
       * writes); a call past it is refused at once with SOURCE_BUSY. Keep it well under
       * each source's pool.max so one caller cannot hold every connection.
       */
      max_in_flight_per_principal: positiveInt.max(200).default(4),
      /**
       * The plan-cost guard, off unless set: a query (or an execute change, dry run or real) that
       * PostgreSQL or PGlite plans above this total cost (the top plan node's estimate, in the
       * planner's units) is refused with PLAN_TOO_COSTLY before it runs. It costs every query one more round trip and a second
       * planning (bench/README.md), hence off by default. MySQL and SQLite sources are not
       * covered (the server says so at start).
       */
      max_plan_cost: z.number().positive().max(1e15).optional(),
      /** The same guard on the rows the top plan node of a query is estimated to return (changes: cost only). */
      max_plan_rows: z.number().positive().max(1e15).optional(),
    })
    .default({ max_rows: 1000, max_bytes: 1024 * 1024, max_in_flight_per_principal: 4 }),
  sql: z
    .strictObject({
      /** Extra functions a query may call, by lower-case name (`name` or `schema.name`). */
      allow_functions: z.array(z.string().regex(/^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$/)).default([]),
    })
    .default({ allow_functions: [] }),
  server: z.strictObject({ http: httpSchema.default(defaultHttp) }).default({ http: defaultHttp }),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
  auth: authSchema.default(authSchema.parse({})),
  /** Custom roles; the built-in reader, writer, admin, approver and auditor cannot be redefined. */
  roles: z.record(identifier, roleSchema).default({}),
  rate_limits: rateLimitSchema.default(rateLimitSchema.parse({})),
  state: stateSchema.default(stateSchema.parse({})),
  redis: redisSchema.optional(),
  files: filesSchema.default(filesSchema.parse({})),
  audit: auditSchema.default(auditSchema.parse({})),
  metrics: metricsSchema.default({ enabled: false }),
  telemetry: telemetrySchema.default({}),
  /** The web console at /console of the HTTP listener (src/console/): on with --http unless disabled. */
  console: consoleSchema.default(consoleSchema.parse({})),
  approvals: approvalsSchema.default({}),
})
  .superRefine((config, ctx) => {
    for (const [name, source] of Object.entries(config.sources)) {
      if (source.writes.enabled && writeSchemasOf(source).length === 0) {
        ctx.addIssue({ code: 'custom', path: ['sources', name, 'writes', 'schemas'], message: 'the URL names no database: list the databases change_schema may touch in writes.schemas' });
      }
      if (source.read_only === true && source.writes.enabled) {
        ctx.addIssue({ code: 'custom', path: ['sources', name, 'read_only'], message: 'read_only: true contradicts writes.enabled: true; remove one' });
      }
    }
    const audit = config.audit;
    if (audit.enabled && audit.sinks.includes('postgres') && audit.postgres.url === undefined && config.state.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['audit', 'postgres', 'url'], message: 'the postgres audit sink needs audit.postgres.url or state.url' });
    }
    if (config.approvals.notify_url !== undefined && config.approvals.notify_secret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['approvals', 'notify_secret'], message: 'approvals.notify_url needs notify_secret to sign each notification (use ${ENV_VAR})' });
    }
    if (config.metrics.listen !== undefined && !config.metrics.enabled) {
      ctx.addIssue({ code: 'custom', path: ['metrics', 'listen'], message: 'metrics.listen has no effect while metrics.enabled is false; set enabled: true or remove listen' });
    }
  });

/**
 * A validated configuration. `tracing` and `metricsExport` are what loadConfig resolved from
 * `telemetry:` and the OTEL_* variables: each present only when that signal is on.
 */
export type BastionConfig = z.infer<typeof configSchema> & {
  readonly tracing?: TelemetrySettings | undefined;
  readonly metricsExport?: MetricsExportSettings | undefined;
};
export type SourceConfig = z.infer<typeof sourceSchema>;
export type PostgresSourceConfig = z.infer<typeof postgresSource>;
export type PgliteSourceConfig = z.infer<typeof pgliteSource>;
export type MysqlSourceConfig = z.infer<typeof mysqlSource>;
export type SqliteSourceConfig = z.infer<typeof sqliteSource>;
export type FilesConfig = z.infer<typeof filesSchema>;
export type HttpConfig = z.infer<typeof httpSchema>;
export type RoleConfig = z.infer<typeof roleSchema>;
export type AuthConfig = z.infer<typeof authSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type JwtIssuerConfig = BastionConfig['auth']['jwt']['issuers'][number];
export type OidcConfig = NonNullable<BastionConfig['auth']['oidc']>;
export type AuditConfig = z.infer<typeof auditSchema>;
/** A source's write settings with the schemas list resolved for its engine. */
export type WritesConfig = Omit<z.infer<typeof writesSchema>, 'schemas'> & { readonly schemas: readonly string[] };

/**
 * The schemas change_schema may touch: `writes.schemas` when set, else the engine's
 * one namespace (PostgreSQL's `public`, SQLite's `main`, the database a MySQL URL
 * names; none when it names none).
 */
export function writeSchemasOf(source: SourceConfig): readonly string[] {
  if (source.writes.schemas !== undefined) return source.writes.schemas;
  switch (source.engine) {
    case 'postgres':
    case 'pglite':
      return ['public'];
    case 'sqlite':
      return ['main'];
    case 'mysql': {
      let database = '';
      try {
        database = decodeURIComponent(new URL(source.url).pathname.replace(/^\//, ''));
      } catch {
        // An invalid URL is reported when the source opens.
      }
      return database === '' ? [] : [database];
    }
  }
}
export type TlsConfig = z.infer<typeof tlsSchema>;
export type MetricsConfig = z.infer<typeof metricsSchema>;
export type ConsoleConfig = z.infer<typeof consoleSchema>;
export type ApprovalsConfig = z.infer<typeof approvalsSchema>;
