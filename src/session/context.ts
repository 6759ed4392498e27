/**
 * What a session holds, as types only: the stages that serve a session (tools, files)
 * import these, and this module imports none of them back.
 */

import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import type { ApprovalStore } from '../approvals/index.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Principal } from '../auth/identity/principal.js';
import type { Role } from '../authorize/roles.js';
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/index.js';
import type { RateLimiter } from '../ratelimit/index.js';
import type { SourceRegistry } from '../engine/registry.js';
import type { CallTracer, RequestMeter } from '../telemetry/index.js';

/** What every session's tools share: built once at start-up, read-only afterwards. */
export interface ServerContext {
  readonly config: BastionConfig;
  readonly sources: SourceRegistry;
  readonly log: Logger;
  readonly version: string;
  /** Built-in and configured roles, compiled once. */
  readonly roles: ReadonlyMap<string, Role>;
  /** Per principal, tool and source; memory or Redis. */
  readonly limiter: RateLimiter;
  /** One tamper-evident record per call and failed authentication. */
  readonly audit: AuditTrail;
  /** Open only when some source has writes enabled. */
  readonly approvals?: ApprovalStore | undefined;
  /** Audits decisions people make with `bastion approvals` (see approvals/watch.ts). */
  readonly approvalWatch?: { stop(): Promise<void> } | undefined;
  /** Prometheus counters and histograms (no-ops unless metrics.enabled), and their OpenTelemetry twins when OTLP metrics are on. */
  readonly metrics: Metrics;
  /** list_files, read_file and search_files (files/tools.ts): loaded at start-up only when files.roots is configured. */
  readonly fileTools?: RegisterTools | undefined;
  /** OpenTelemetry traces: present only when telemetry is on (the SDK is not even loaded otherwise). */
  readonly tracer?: CallTracer | undefined;
  /** OpenTelemetry metrics over OTLP (mcp.server.operation.duration): present only when they are on. */
  readonly meter?: RequestMeter | undefined;
}

/** One session, as each of its tool calls sees it. */
export interface ToolCall {
  readonly ctx: ServerContext;
  readonly principal: Principal;
  /** The principal's role, resolved when the session opened. */
  readonly role: Role;
  /**
   * Names the session in audit records when the transport has no session id (stdio, in-memory);
   * undefined on a server several clients of the principal share (a long-lived 2026-07-28 HTTP
   * server), where each call is audited with a session id of its own, as on a server built per request.
   */
  readonly session: string | undefined;
  /** The transport carries server-to-client requests, so a write can ask the person (MCP elicitation). */
  readonly elicitation: boolean;
  /**
   * The transport counts every request against the principal's rate limit as it arrives (a
   * 2026-07-28 HTTP request), so a call here spends only its tool's and source's buckets.
   */
  readonly principalCounted?: boolean | undefined;
}

/** Registers on a session's server the tools of one kind its role allows, by name. */
export type RegisterTools = (server: McpServer, call: ToolCall) => Map<string, RegisteredTool>;

export type { Principal };
