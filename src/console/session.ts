import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Who signed in to the console, and how. The OIDC sign-in (./oidc.ts) starts sessions the same way. */
export interface ConsolePrincipal {
  /** `key:<id>` for an API key; the OIDC module's subject id for a single sign-on. */
  readonly id: string;
  readonly role: string;
  readonly via: 'api_key' | 'oidc';
}

export interface ConsoleSession {
  readonly principal: ConsolePrincipal;
  /** Sent back in every state-changing form; never the cookie's value. */
  readonly csrf: string;
  readonly expiresAt: number;
  /** Re-checks the credential on every request (a revoked key ends its sessions at once). */
  readonly stillValid?: (() => Promise<boolean>) | undefined;
}

export interface SessionOptions {
  readonly ttlMs: number;
  /** Served over TLS: the cookies get `Secure` and the `__Host-` prefix. */
  readonly secure: boolean;
  readonly now?: () => number;
}

/** Sessions one process keeps at most; past it the oldest is dropped (its person signs in again). */
const MAX_SESSIONS = 10_000;
const PRE_SIGN_IN_TTL_S = 600;

/**
 * Console sessions: a random 256-bit id in an `HttpOnly`, `SameSite=Strict` cookie
 * (`Secure` under TLS), kept in this process by its SHA-256 (a lookup never compares the
 * id itself), with a fixed lifetime however active. Each session has its own random
 * CSRF token, compared in constant time. The sign-in form itself carries a token bound
 * to a pre-sign-in cookie (HMAC with a per-process key), so nobody can sign a browser in
 * from another site either.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly key = randomBytes(32);
  private readonly now: () => number;
  readonly cookie: string;
  readonly preCookie: string;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
    this.cookie = options.secure ? '__Host-bastion_console' : 'bastion_console';
    this.preCookie = options.secure ? '__Host-bastion_console_pre' : 'bastion_console_pre';
  }

  /** Starts a session for `principal` and sets its cookie on `res`: the one way any sign-in ends. */
  start(res: ServerResponse, principal: ConsolePrincipal, stillValid?: () => Promise<boolean>): ConsoleSession {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { principal, csrf: randomBytes(32).toString('base64url'), expiresAt: this.now() + this.options.ttlMs, stillValid };
    this.sessions.set(digest(id), session);
    appendCookie(res, this.setCookie(this.cookie, id, Math.floor(this.options.ttlMs / 1000)));
    appendCookie(res, this.setCookie(this.preCookie, '', 0));
    return session;
  }

  /** The request's live session, if any; an expired one is dropped. */
  async get(req: IncomingMessage): Promise<ConsoleSession | undefined> {
    const id = readCookie(req, this.cookie);
    if (id === undefined) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now() || (session.stillValid !== undefined && !(await session.stillValid()))) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends the request's session and clears its cookie. */
  end(req: IncomingMessage, res: ServerResponse): void {
    const id = readCookie(req, this.cookie);
    if (id !== undefined) this.sessions.delete(digest(id));
    appendCookie(res, this.setCookie(this.cookie, '', 0));
  }

  /** True when `presented` is the session's CSRF token. */
  csrfValid(session: ConsoleSession, presented: string | undefined): boolean {
    return presented !== undefined && sameText(session.csrf, presented);
  }

  /** The sign-in form's token: sets a fresh pre-sign-in cookie and returns the token bound to it. */
  signInToken(res: ServerResponse): string {
    const nonce = randomBytes(32).toString('base64url');
    appendCookie(res, this.setCookie(this.preCookie, nonce, PRE_SIGN_IN_TTL_S));
    return this.mac(nonce);
  }

  /** True when the posted sign-in token belongs to the browser's pre-sign-in cookie. */
  signInTokenValid(req: IncomingMessage, presented: string | undefined): boolean {
    const nonce = readCookie(req, this.preCookie);
    return nonce !== undefined && nonce !== '' && presented !== undefined && sameText(this.mac(nonce), presented);
  }

  private mac(nonce: string): string {
    return createHmac('sha256', this.key).update(nonce).digest('base64url');
  }

  private setCookie(name: string, value: string, maxAgeS: number): string {
    const path = this.options.secure ? '/' : '/console';
    return `${name}=${value}; Path=${path}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${this.options.secure ? '; Secure' : ''}`;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** Constant-time equality of two strings (their lengths aside, which are public). */
function sameText(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

function appendCookie(res: ServerResponse, cookie: string): void {
  const previous = res.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  res.setHeader('set-cookie', [...list, cookie]);
}

/** The value of cookie `name` (the first one), if present and made of cookie-safe characters. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{0,128}$/.test(value) ? value : undefined;
  }
  return undefined;
}
