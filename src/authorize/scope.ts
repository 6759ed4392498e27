import type { Principal } from '../auth/identity/principal.js';
import { compileGlobs, type Matcher } from './glob.js';

/**
 * The OAuth scope rule (`auth.tool_scopes`: tool glob → scope), compiled once. Only a
 * JWT carries scopes, so the rule binds JWT principals alone; API keys, certificates
 * and local principals are held to their role, which every principal meets as well.
 */
export interface ToolScopes {
  /** The first scope a rule matching `tool` asks for that the principal's token lacks; undefined when none is missing. */
  missingScope(principal: Principal, tool: string): string | undefined;
  /** Every scope a rule names, for `scopes_supported` in the resource metadata. */
  readonly scopes: readonly string[];
}

export function compileToolScopes(toolScopes: Readonly<Record<string, string>>): ToolScopes {
  const rules: { match: Matcher; scope: string }[] = Object.entries(toolScopes).map(([glob, scope]) => ({ match: compileGlobs([glob]), scope }));
  return {
    scopes: [...new Set(Object.values(toolScopes))],
    missingScope(principal, tool) {
      if (principal.kind !== 'jwt') return undefined;
      return rules.find((rule) => rule.match(tool) && !principal.scopes.includes(rule.scope))?.scope;
    },
  };
}
