import { z } from 'zod';

/**
 * Configuration of the identity and access stages: authentication (API keys,
 * JWT issuers, mTLS), roles, rate limits and shared state. Strict like the rest.
 */
const positiveInt = z.number().int().positive();
export const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'use lower-case letters, digits and _ (max 63)');

const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const jwtIssuerSchema = z
  .strictObject({
    /** Expected `iss`. */
    issuer: z.string().min(1),
    /** Expected `aud` (one of). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Pinned algorithms: a token with any other `alg` is refused. */
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1),
    /** Shared secret for the HS family (at least 32 characters); use ${ENV}. */
    secret: z.string().min(32, 'an HS256 secret needs at least 32 characters').optional(),
    /** Public key in PEM (SPKI) for the RS, PS, ES and EdDSA families. */
    public_key: z.string().min(1).optional(),
    /** Or a JWKS URL, fetched and cached. */
    jwks_url: z.string().url().optional(),
    /** Claim holding the role name. */
    role_claim: z.string().min(1).default('role'),
    /** Claim holding space-separated scopes (or an array). */
    scope_claim: z.string().min(1).default('scope'),
    /** Role for a token without the role claim; absent means such a token is refused. */
    default_role: identifier.optional(),
    /** Longest accepted lifetime (exp - iat), seconds. */
    max_lifetime_s: positiveInt.max(30 * 24 * 3600).default(24 * 3600),
  })
  .superRefine((issuer, ctx) => {
    const keys = [issuer.secret, issuer.public_key, issuer.jwks_url].filter((k) => k !== undefined).length;
    if (keys !== 1) ctx.addIssue({ code: 'custom', message: 'set exactly one of secret, public_key or jwks_url' });
    const hmac = issuer.algorithms.filter((a) => a.startsWith('HS'));
    if (hmac.length > 0 && hmac.length !== issuer.algorithms.length) {
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: 'do not mix HS* with public-key algorithms for one issuer' });
    }
    if (hmac.length > 0 && issuer.secret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'HS* algorithms need secret' });
    }
    if (hmac.length === 0 && issuer.secret !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['algorithms'], message: 'a secret can only be used with HS* algorithms' });
    }
  });

/** Roles a console sign-in may get unless auth.oidc.allowed_roles says otherwise. */
export const CONSOLE_ROLES = ['approver', 'auditor', 'admin'] as const;

/**
 * OpenID Connect sign-in for the console: authorization code flow with PKCE (S256),
 * state and nonce, against `issuer`. The ID token decides who signed in and with
 * which role; it never authenticates an MCP request.
 */
export const oidcSchema = z
  .strictObject({
    /** The issuer's URL exactly as its discovery document names it; https, or http on loopback only. */
    issuer: z.string().url(),
    client_id: z.string().min(1).max(512),
    /** Client secret (give it as ${ENV}); absent = a public client, authenticated by PKCE only. */
    client_secret: z.string().min(1).optional(),
    /** Where the issuer sends the browser back; default: derived by the console from its listener. */
    redirect_uri: z.string().url().optional(),
    /** Scopes asked for; must include openid. */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'one OAuth scope token'))
      .refine((s) => s.includes('openid'), 'scopes must include openid')
      .default(['openid']),
    /** ID token claim holding the role name. */
    role_claim: z.string().min(1).default('role'),
    /** Role for an ID token without the role claim; absent means such a sign-in is refused. */
    default_role: identifier.optional(),
    /** The only roles a console sign-in can get (the role must also exist). */
    allowed_roles: z
      .array(identifier)
      .min(1)
      .default([...CONSOLE_ROLES]),
    /** Expected `aud` of the ID token; default: client_id. */
    audience: z.string().min(1).optional(),
  })
  .superRefine((oidc, ctx) => {
    if (oidc.default_role !== undefined && !oidc.allowed_roles.includes(oidc.default_role)) {
      ctx.addIssue({ code: 'custom', path: ['default_role'], message: 'default_role must be one of allowed_roles' });
    }
  });

export const authSchema = z.strictObject({
  api_keys: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  jwt: z.strictObject({ issuers: z.array(jwtIssuerSchema).default([]) }).default({ issuers: [] }),
  /** Canonical URI of this server's /mcp endpoint: the RFC 9728 `resource`. */
  resource: z.string().url().optional(),
  /** Authorization servers advertised in the protected-resource metadata. */
  authorization_servers: z.array(z.string().url()).default([]),
  /** Tool-name glob → OAuth scope a JWT principal needs to call it (403 insufficient_scope otherwise). */
  tool_scopes: z.record(z.string().min(1), z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'one OAuth scope token')).default({}),
  /** OpenID Connect sign-in for the console; absent = no OIDC sign-in. */
  oidc: oidcSchema.optional(),
});

export const tlsSchema = z.strictObject({
  cert_file: z.string().min(1),
  key_file: z.string().min(1),
  /** With a client CA, a client certificate is required (mTLS). */
  client_ca_file: z.string().min(1).optional(),
  /** Client certificate subject CN → principal role. Unlisted CNs are refused. */
  client_principals: z.record(z.string().min(1), z.strictObject({ role: identifier })).default({}),
});

const pattern = z.string().min(1).max(200);

export const roleSchema = z.strictObject({
  /** Tool name globs, e.g. ["list_*", "describe_table", "query"]. */
  tools: z.array(pattern).default([]),
  /** Source name globs. */
  sources: z.array(pattern).default(['*']),
  /** schema.table globs; deny wins over allow. */
  tables: z
    .strictObject({ allow: z.array(pattern).default(['*.*']), deny: z.array(pattern).default([]) })
    .default({ allow: ['*.*'], deny: [] }),
  /** schema.table.column globs: denied columns, and masked columns with how to mask them. */
  columns: z
    .strictObject({
      deny: z.array(pattern).default([]),
      mask: z.record(pattern, z.enum(['partial', 'hash', 'null'])).default({}),
    })
    .default({ deny: [], mask: {} }),
  /** Overrides rate_limits.per_principal_per_minute for principals of this role. */
  rate_limit_per_minute: positiveInt.optional(),
  /**
   * Source glob → who approves this role's real writes: `human` (the default: a person,
   * in the CLI or the console; in the client's own form only for the local user of a
   * stdio server), `in_client` (also in the form of a remote principal's client, by MCP
   * elicitation or a 2026-07-28 input_required: the server cannot tell a person from a
   * client answering its own form, so only for clients the operator trusts to show it to
   * a person), or `none`, for trusted automation; every such call is audited as unapproved.
   */
  approval: z
    .record(pattern, z.union([z.enum(['human', 'in_client', 'none']), z.boolean()]))
    .default({})
    .superRefine((approval, ctx) => {
      for (const [key, value] of Object.entries(approval)) {
        if (typeof value === 'boolean' && key !== ALLOW_SELF) {
          ctx.addIssue({ code: 'custom', path: [key], message: `a source glob takes human, in_client or none; only ${ALLOW_SELF} takes true or false` });
        }
      }
    }),
  /**
   * What principals of this role may do in the console besides nothing: `approve`
   * (decide pending approvals) and `audit` (read the audit trail). The built-in
   * approver, auditor and admin roles have theirs built in; keys are admin-only.
   */
  console: z.array(z.enum(['approve', 'audit'])).default([]),
});

/**
 * `approval.allow_self: true`: a principal of the role may approve a request it made
 * itself (four eyes waived, and the audit record says so). A boolean value, so it never
 * collides with a source glob of that name, which takes human or none.
 */
export const ALLOW_SELF = 'allow_self';

export const rateLimitSchema = z.strictObject({
  per_principal_per_minute: positiveInt.default(60),
  /** tool name → calls per minute per principal. */
  per_tool: z.record(z.string().min(1), positiveInt).default({}),
  /** source name → calls per minute across all principals. */
  per_source: z.record(identifier, positiveInt).default({}),
  /** When the shared store (Redis) is unreachable: refuse calls (default) or let them through. */
  on_store_error: z.enum(['deny', 'allow']).default('deny'),
  /** Failed authentications per minute from one address before it is throttled. */
  auth_failures_per_minute: positiveInt.default(10),
});

export const stateSchema = z.strictObject({
  /**
   * Folder for local state (API keys, approvals, audit), created with mode 0700; relative
   * to the configuration file's folder. loadConfig always sets it (see locateState).
   */
  dir: z.string().min(1).default('.bastion'),
  /** PostgreSQL URL for state shared by replicas (API keys). */
  url: z.string().min(1).optional(),
});

/**
 * The audit trail: on by default. Each sink keeps its own hash chain; a call is
 * answered only after every sink has kept its record.
 */
export const auditSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** `file`: JSON lines in `dir`; `postgres`: a table, one chain per instance (for replicas); `stderr`: for containers. */
  sinks: z
    .array(z.enum(['file', 'postgres', 'stderr']))
    .min(1)
    .refine((s) => new Set(s).size === s.length, 'list each sink once')
    .default(['file']),
  /** Folder of the audit chains, one per server process in audit/<instance>/; default: state.dir. Shared by any number of processes. */
  dir: z.string().min(1).optional(),
  /** HMAC-SHA-256 key for the chain and head (give it as ${ENV_VAR}); without it, plain SHA-256. */
  key: z.string().min(32, 'an audit key needs at least 32 characters').optional(),
  /**
   * `write`: a call is answered once its record is written to the log file, which
   * survives a crash or kill -9 of Bastion; the fdatasync follows within sync_interval_ms,
   * shared by every record written meanwhile. `fsync`: the answer also waits for the fdatasync,
   * so the record survives power loss too, at a cost measured in bench/README.md.
   */
  durability: z.enum(['write', 'fsync']).default('write'),
  /**
   * With `durability: write`: the least time between two fdatasyncs of the log (each moves the
   * signed head), shared by every record written meanwhile — the records an operating-system
   * crash or power loss can lose. Each sync and head write costs the server CPU whatever the
   * load, so a short interval taxes every call (bench/README.md); ignored with `fsync`.
   */
  sync_interval_ms: z.number().int().min(1).max(1000).default(100),
  /** Also record argument values (SQL text, parameters), passed through the redactor; off by default. */
  include_values: z.boolean().default(false),
  /**
   * Names this server in every record and its chain (file and PostgreSQL); default: a new
   * name per process (<host>-<pid>-<random>). Set it to continue one chain across restarts;
   * two live processes with the same instance are refused.
   */
  instance: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'use letters, digits and _ . : - (max 128)')
    .optional(),
  /** The file sink starts a new file (same chain) past max_bytes, and at each UTC day when daily. */
  rotate: z
    .strictObject({
      max_bytes: z.number().int().min(1024 * 1024).default(256 * 1024 * 1024),
      daily: z.boolean().default(false),
    })
    .default({ max_bytes: 256 * 1024 * 1024, daily: false }),
  /** The PostgreSQL sink; url defaults to state.url. */
  postgres: z
    .strictObject({
      url: z.string().min(1).optional(),
      /** Also `<table>_head`, hence at most 58 characters. */
      table: identifier.refine((t) => t.length <= 58, 'at most 58 characters (the head table adds _head)').default('bastion_audit'),
    })
    .default({ table: 'bastion_audit' }),
});

export const redisSchema = z.strictObject({ url: z.string().min(1) });
