import type { McpServer, RegisteredTool, StandardSchemaWithJSON, ToolAnnotations, ToolCallback } from '@modelcontextprotocol/server';
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

/** The contract as registered: its schemas as the SDK takes them, each converted to JSON Schema once. */
interface BuiltTool {
  readonly title: string;
  readonly description: string;
  readonly inputSchema: StandardSchemaWithJSON;
  readonly outputSchema: StandardSchemaWithJSON | undefined;
  readonly annotations: ToolAnnotations;
  /**
   * Its arguments' JSON Schema declares an `x-mcp-header` (an argument mirrored in an
   * Mcp-Param header): the SDK checks those headers only for a registered tool, so such a
   * tool is always registered (no Bastion tool declares one today).
   */
  readonly declaresHeaders: boolean;
}

/** The JSON Schema each built contract hands the SDK, kept for a tool that is not registered (see dispatchOnly). */
const jsonOf = new WeakMap<StandardSchemaWithJSON, Record<string, unknown>>();

/** The JSON Schema draft the SDK asks for (it asks for no other). */
const TARGET = 'draft-2020-12';

/** The zod schema behind each arguments contract: dispatch.ts validates a call's arguments with it. */
const argumentSchemas = new WeakMap<object, z.ZodObject>();

/**
 * A tool's schema as the SDK takes it: its JSON Schema made once, instead of on every
 * tools/list (a 2026-07-28 HTTP request lists on a server of its own, and the SDK converts
 * each schema again on every list). Arguments are validated by zod on every call in
 * dispatch.ts, which takes tools/call over from the SDK; results are built by Bastion's own
 * code (test/tools/output-contract.test.ts holds real answers to their schema).
 */
function contract(schema: z.ZodObject, io: 'input' | 'output'): StandardSchemaWithJSON {
  const json = schema['~standard'].jsonSchema[io]({ target: TARGET });
  const built: StandardSchemaWithJSON = {
    '~standard': {
      version: 1,
      vendor: 'bastion',
      validate: (value: unknown) => schema['~standard'].validate(value),
      jsonSchema: { input: () => json, output: () => json },
    },
  };
  if (io === 'input') argumentSchemas.set(built, schema);
  jsonOf.set(built, json);
  return built;
}

/** The zod schema of a registered tool's arguments (undefined for a schema registered elsewhere). */
export function argumentsSchema(inputSchema: unknown): z.ZodObject | undefined {
  return typeof inputSchema === 'object' && inputSchema !== null ? argumentSchemas.get(inputSchema) : undefined;
}

/** The zod schema of each tool's structured result, by tool name: for the test that holds answers to it. */
export const RESULT_SCHEMAS = new Map<string, z.ZodObject>();

/**
 * Built contracts per role (a role belongs to one server context, so this is per
 * context and role) and tool name. zod builds schemas eagerly, ~0.3 ms a tool, and
 * the SDK converts an output schema to JSON Schema on a server's first call; a
 * 2026-07-28 HTTP request gets a server of its own, so both are done once here
 * instead of on every request. A contract depends on the configuration and the role
 * (the write tools name the role's writable sources), never on the principal.
 */
const built = new WeakMap<Role, Map<string, BuiltTool>>();

/**
 * Servers built to answer one `tools/call` and nothing else (a 2026-07-28 request over HTTP,
 * see session-server.ts): their tools are handed to dispatch.ts, never registered, so the SDK's
 * per-tool registration is not paid on every call. Nothing lists them: such a server's
 * tools/list is empty, never wider.
 */
const dispatchOnlyServers = new WeakSet<McpServer>();

/** Marks a server whose tools are dispatched but never registered (before its tools are defined). */
export function dispatchOnly(server: McpServer): void {
  dispatchOnlyServers.add(server);
}

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
    const result = outputSchema === undefined ? undefined : z.object(outputSchema);
    if (result !== undefined) RESULT_SCHEMAS.set(name, result);
    const input = contract(z.object(inputSchema), 'input');
    const declaresHeaders = JSON.stringify(jsonOf.get(input) ?? {}).includes('x-mcp-header');
    tool = { ...rest, inputSchema: input, outputSchema: result === undefined ? undefined : contract(result, 'output'), declaresHeaders };
    byName.set(name, tool);
  }
  // The handler takes the arguments its schema parses to, and the SDK's context reduced to CallExtra (dispatch.ts).
  const callback = handler as unknown as ToolCallback<StandardSchemaWithJSON>;
  if (dispatchOnlyServers.has(server) && !tool.declaresHeaders) return unregisteredTool(tool, callback);
  return server.registerTool(name, tool, callback);
}

/**
 * A tool as dispatch.ts reads a registered one (its schemas, handler and output JSON Schema,
 * the same the SDK would have made from the same contract), for a dispatch-only server. It
 * is in no server's registry, so it cannot be changed through one.
 */
function unregisteredTool(tool: BuiltTool, handler: ToolCallback<StandardSchemaWithJSON>): RegisteredTool {
  const notRegistered = (): never => {
    throw new Error('a tool of a dispatch-only server is not registered');
  };
  return {
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    outputSchemaJson: tool.outputSchema === undefined ? undefined : jsonOf.get(tool.outputSchema),
    annotations: tool.annotations,
    handler,
    executor: async (args, ctx) => (handler as (args: unknown, ctx: unknown) => unknown)(args, ctx) as never,
    enabled: true,
    enable: notRegistered,
    disable: notRegistered,
    update: notRegistered,
    remove: notRegistered,
  };
}
