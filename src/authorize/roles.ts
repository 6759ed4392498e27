import type { BastionConfig, RoleConfig } from '../config/schema.js';
import { ALLOW_SELF } from '../config/schema-access.js';
import { BastionError } from '../errors/codes.js';
import type { MaskKind } from '../engine/protection.js';
import { compileGlobs, type Matcher } from './glob.js';

export type { MaskKind };

/** A role compiled once at start-up into matchers. */
export interface Role {
  readonly name: string;
  readonly tool: Matcher;
  readonly source: Matcher;
  /** True when the role may read every table and column: authorization skips the catalog. */
  readonly unrestricted: boolean;
  readonly tableAllowed: (schema: string, table: string) => boolean;
  /**
   * True when `tables.allow` names exactly this relation (no wildcard) and no deny
   * rule takes it back: a view so named is trusted even if it reads what the role may not.
   */
  readonly tableNamedExplicitly: (schema: string, table: string) => boolean;
  readonly columnDenied: (schema: string, table: string, column: string) => boolean;
  /** How a column is masked for this role, if it is. */
  readonly columnMask: (schema: string, table: string, column: string) => MaskKind | undefined;
  readonly hasColumnRules: boolean;
  readonly rateLimitPerMinute: number | undefined;
  /** Who approves this role's real writes on a source: a human unless the role says `none`. */
  readonly approvalFor: (source: string) => 'human' | 'in_client' | 'none';
  /** What the role may do in the console (src/console/): nothing unless listed. */
  readonly console: ReadonlySet<ConsoleRight>;
  /** `approval.allow_self: true`: its principals may approve their own requests (audited as such). */
  readonly allowSelfApproval: boolean;
}

/** `keys` (API keys, sources) is the built-in admin's alone; configured roles may get approve and audit. */
export type ConsoleRight = 'approve' | 'audit' | 'keys';

const READ_TOOLS = ['list_sources', 'list_schemas', 'list_tables', 'describe_table', 'query', 'explain', 'list_files', 'read_file', 'search_files'];

const ALL_TABLES = { tables: { allow: ['*.*'], deny: [] }, columns: { deny: [], mask: {} }, approval: {} };

/** approver and auditor are for people in the console: no MCP tool at all. */
export const BUILT_IN_ROLES: Readonly<Record<string, RoleConfig>> = {
  reader: { tools: READ_TOOLS, sources: ['*'], ...ALL_TABLES, console: [] },
  writer: { tools: [...READ_TOOLS, 'execute', 'change_schema'], sources: ['*'], ...ALL_TABLES, console: [] },
  admin: { tools: ['*'], sources: ['*'], ...ALL_TABLES, console: ['approve', 'audit'] },
  approver: { tools: [], sources: [], ...ALL_TABLES, console: ['approve'] },
  auditor: { tools: [], sources: [], ...ALL_TABLES, console: ['audit'] },
};

/** A role's configuration; `console` may be left out (tests build roles by hand), meaning none. */
export type RoleInput = Omit<RoleConfig, 'console'> & { readonly console?: RoleConfig['console'] };

export function compileRole(name: string, config: RoleInput): Role {
  const allow = compileGlobs(config.tables.allow);
  const deny = compileGlobs(config.tables.deny);
  const columnDeny = compileGlobs(config.columns.deny);
  const masks = Object.entries(config.columns.mask).map(([glob, kind]) => ({ match: compileGlobs([glob]), kind }));
  const hasMasks = masks.length > 0;
  const approvals = Object.entries(config.approval).flatMap(([glob, mode]) => (typeof mode === 'string' ? [{ match: compileGlobs([glob]), mode }] : []));
  const consoleRights = new Set<ConsoleRight>(config.console ?? []);
  // Configured roles can never be named admin (buildRoles refuses a redefinition).
  if (name === 'admin') consoleRights.add('keys');
  const named = new Set(config.tables.allow.filter((pattern) => !/[*?]/.test(pattern)));
  const unrestricted =
    config.tables.allow.includes('*.*') && config.tables.deny.length === 0 && config.columns.deny.length === 0 && !hasMasks;
  return {
    name,
    tool: compileGlobs(config.tools),
    source: compileGlobs(config.sources),
    unrestricted,
    tableAllowed: (schema, table) => {
      const qualified = `${schema}.${table}`;
      return allow(qualified) && !deny(qualified);
    },
    tableNamedExplicitly: (schema, table) => {
      const qualified = `${schema}.${table}`;
      return named.has(qualified) && !deny(qualified);
    },
    columnDenied: (schema, table, column) => columnDeny(`${schema}.${table}.${column}`),
    columnMask: (schema, table, column) => {
      if (!hasMasks) return undefined;
      const name = `${schema}.${table}.${column}`;
      return masks.find((m) => m.match(name))?.kind;
    },
    hasColumnRules: config.columns.deny.length > 0 || hasMasks,
    rateLimitPerMinute: config.rate_limit_per_minute,
    approvalFor: (source) => approvals.find((a) => a.match(source))?.mode ?? 'human',
    console: consoleRights,
    allowSelfApproval: config.approval[ALLOW_SELF] === true,
  };
}

/** Built-in roles plus the configured ones; a configured role may not redefine a built-in. */
export function buildRoles(config: BastionConfig): ReadonlyMap<string, Role> {
  const roles = new Map<string, Role>();
  for (const [name, role] of Object.entries(BUILT_IN_ROLES)) roles.set(name, compileRole(name, role));
  for (const [name, role] of Object.entries(config.roles)) {
    if (roles.has(name)) {
      throw new BastionError('CONFIG_INVALID', `roles.${name}: ${name} is a built-in role and cannot be redefined; choose another name.`);
    }
    roles.set(name, compileRole(name, role));
  }
  return roles;
}

/** Every role name a credential may carry under `config`: built-in plus configured. */
export function knownRoles(config: BastionConfig): ReadonlySet<string> {
  return new Set([...Object.keys(BUILT_IN_ROLES), ...Object.keys(config.roles)]);
}

export function roleOf(roles: ReadonlyMap<string, Role>, name: string): Role {
  const role = roles.get(name);
  // A principal whose role vanished from the config gets nothing, not a default.
  if (role === undefined) throw new BastionError('DENIED_BY_POLICY', 'Your role is not configured on this server.');
  return role;
}
