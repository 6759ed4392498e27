import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApprovalStore } from '../approvals/index.js';
import type { AuditTrail } from '../audit/trail.js';
import type { ApiKeys } from '../auth/api-keys/open.js';
import type { AuthError } from '../auth/identity/errors.js';
import type { ConsoleRight, Role } from '../authorize/roles.js';
import type { BastionConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { ConsoleSession, ConsoleSessions } from './session.js';

/** A source as the admin's page shows it. */
export interface SourceState {
  readonly name: string;
  readonly engine: string;
  readonly mode: 'read-only' | 'read-write';
  readonly ready: boolean;
}

/**
 * Single sign-on for the console, as the OIDC client module (./oidc.ts, built separately)
 * offers it: `begin` gives the authorization URL and a pending state, `finish` turns the
 * callback URL and that state into the person's subject and role. The state stays in
 * this process; the browser holds only a random handle to it.
 */
export interface ConsoleSso<P = unknown> {
  begin(): Promise<{ url: string; pending: P }>;
  finish(callbackUrl: string, pending: P): Promise<{ subject: string; role: string }>;
}

/**
 * What the console is given by the HTTP listener that serves it (src/transport/http/start.ts);
 * typed here so the console never imports the transport.
 */
export interface ConsoleOptions {
  readonly config: BastionConfig;
  readonly log: Logger;
  /** The server's audit trail: sign-ins, decisions and key changes are recorded in it. */
  readonly audit: AuditTrail;
  /** Open when some source has writes enabled. */
  readonly approvals?: ApprovalStore | undefined;
  readonly roles: ReadonlyMap<string, Role>;
  /** Present when API keys are enabled: sign-in, and the admin's keys page. */
  readonly apiKeys?: ApiKeys | undefined;
  readonly sources: () => Promise<readonly SourceState[]>;
  /** The listener serves TLS: cookies are `Secure`. */
  readonly secure: boolean;
  readonly maxBodyBytes: number;
  /** The client's address as the listener sees it (trusted proxies applied). */
  readonly clientAddress: (req: IncomingMessage) => string;
  /** The listener's failed-authentication throttle, per address; a failed sign-in counts like a bad Bearer token. */
  readonly throttle?: { consumeAuthFailure(address: string): Promise<{ blocked: boolean; alreadyBlocked: boolean; retryAfterMs: number }> } | undefined;
  /** Logs, counts and audits a failed sign-in like any failed authentication. */
  readonly onAuthFailure?: ((failure: { address: string; error: AuthError; throttled: boolean; repeated: boolean }) => void | Promise<void>) | undefined;
  /** Single sign-on (OIDC): when given, the sign-in page offers it and /console/oidc/* serve it. */
  readonly sso?: ConsoleSso | undefined;
  readonly now?: () => number;
}

/** One signed-in request, as a page handler gets it. */
export interface Signed {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly session: ConsoleSession;
  readonly rights: ReadonlySet<ConsoleRight>;
  readonly url: URL;
  readonly options: ConsoleOptions;
  readonly sessions: ConsoleSessions;
  /** The posted form, already CSRF-checked; undefined for a GET. */
  readonly form?: URLSearchParams | undefined;
}

/** The audit principal of a console session. */
export function auditPrincipal(session: ConsoleSession): { id: string; kind: 'api_key' | 'human'; role: string } {
  return { id: session.principal.id, kind: session.principal.via === 'api_key' ? 'api_key' : 'human', role: session.principal.role };
}
