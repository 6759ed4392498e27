import type { McpServer, RegisteredTool, ToolAnnotations, ToolCallback } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Role } from '../authorize/roles.js';
import type { ToolCall } from '../session/context.js';
import type { CallExtra, ToolAnswer } from './run.js';

/** A tool's public contract as a register function writes it: zod fields for its arguments and its structured result. */
export interface ToolConfig {
  readonly title: string;
  readonly description: string;
  readonly inputSchema: z.ZodRawShape;
  readonly outputSchema?: z.ZodRawShape | undefined;
  readonly annotations: ToolAnnotations;
}

/** The contract as registered: object schemas built, and the listed output schema once converted. */
interface BuiltTool {
  readonly title: string;
  readonly description: string;
  readonly inputSchema: z.ZodObject;
  readonly outputSchema: z.ZodObject | undefined;
  readonly annotations: ToolAnnotations;
  outputSchemaJson?: Record<string, unknown> | undefined;
}

/**
 * Built contracts per role (a role belongs to one server context, so this is per
 * context and role) and tool name. zod builds schemas eagerly, ~0.3 ms a tool, and
 * the SDK converts an output schema to JSON Schema on a server's first call; a
 * 2026-07-28 HTTP request gets a server of its own, so both are done once here
 * instead of on every request. A contract depends on the configuration and the role
 * (the write tools name the role's writable sources), never on the principal.
 */
const built = new WeakMap<Role, Map<string, BuiltTool>>();

/** Registers a tool on a session's server with its contract built once per role; `config` runs only the first time. */
export function registerDefined<A>(
  server: McpServer,
  call: ToolCall,
  name: string,
  config: () => ToolConfig,
  handler: (args: A, extra?: CallExtra) => Promise<ToolAnswer>,
): RegisteredTool {
  let byName = built.get(call.role);
  if (byName === undefined) {
    byName = new Map();
    built.set(call.role, byName);
  }
  let tool = byName.get(name);
  if (tool === undefined) {
    const { inputSchema, outputSchema, ...rest } = config();
    tool = { ...rest, inputSchema: z.object(inputSchema), outputSchema: outputSchema === undefined ? undefined : z.object(outputSchema) };
    byName.set(name, tool);
  }
  const { outputSchemaJson, ...definition } = tool;
  // The handler takes the arguments its schema parses to, and the SDK's context reduced to CallExtra (dispatch.ts).
  const registered = server.registerTool(name, definition, handler as unknown as ToolCallback<z.ZodObject>);
  if (outputSchemaJson === undefined) tool.outputSchemaJson = registered.outputSchemaJson;
  else registered.outputSchemaJson = outputSchemaJson;
  return registered;
}
