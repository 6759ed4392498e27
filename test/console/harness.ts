/**
 * The console in this process on a plain node:http server, with real stores in a temp
 * state folder (API keys, approvals, the audit chain), for HTTP-level tests with fetch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { hashParams, hashStatement, type Approval } from '../../src/approvals/index.js';
import { openApiKeys, type ApiKeys } from '../../src/auth/api-keys/open.js';
import { openAuditTrail, type AuditTrail } from '../../src/audit/trail.js';
import { buildRoles } from '../../src/authorize/roles.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { createConsole, type ConsoleSso } from '../../src/console/index.js';
import { createLogger } from '../../src/log/logger.js';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';

export interface ConsoleHarness {
  readonly base: string;
  readonly config: BastionConfig;
  readonly approvals: FileApprovalStore;
  readonly apiKeys: ApiKeys;
  readonly audit: AuditTrail;
  key(role: string, name?: string): Promise<{ key: string; id: string }>;
  pending(principal: string, sql?: string): Promise<Approval>;
  records(): Record<string, unknown>[];
  /** The failed sign-ins reported to the listener's failure reporter (which logs, counts and audits them). */
  readonly failures: { address: string; code: string }[];
  close(): Promise<void>;
}

export async function startConsole(extra: Record<string, unknown> = {}, more: { sso?: ConsoleSso } = {}): Promise<ConsoleHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-console-'));
  const config = configSchema.parse({ sources: { demo: { engine: 'pglite', writes: { enabled: true } } }, state: { dir }, ...extra }) as BastionConfig;
  const log = createLogger('silent');
  const apiKeys = await openApiKeys(config, log);
  const approvals = await FileApprovalStore.open(dir, { log });
  const audit = await openAuditTrail(config, log, { instance: 'console-test' });
  const failures: { address: string; code: string }[] = [];
  const web = createConsole({
    config,
    log,
    audit,
    approvals,
    roles: buildRoles(config),
    apiKeys,
    sources: async () => [{ name: 'demo', engine: 'pglite', mode: 'read-write', ready: true }],
    secure: false,
    maxBodyBytes: 1024 * 1024,
    clientAddress: () => '127.0.0.1',
    onAuthFailure: ({ address, error }) => void failures.push({ address, code: error.code }),
    sso: more.sso,
  });
  const server: Server = createServer((req, res) => void web.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    config,
    approvals,
    apiKeys,
    audit,
    async key(role, name = `k-${role}`) {
      const created = await apiKeys.store.create({ name, role });
      await apiKeys.verifier.refresh();
      return { key: created.key, id: created.record.id };
    },
    pending(principal, sql = "UPDATE shop.customers SET country = 'IS' WHERE id = 7") {
      return approvals.create({
        principal,
        source: 'demo',
        tool: 'execute',
        sqlHash: hashStatement(sql),
        paramsHash: hashParams([]),
        statement: sql,
        summary: `Statement (1 line, each as it will run, numbered; secrets redacted):\n  1 | ${sql}\nDry run: 1 row would be updated.`,
        ttlMs: 600_000,
        instance: 'console-test',
      });
    },
    failures,
    records: () => [...chainTexts(dir).values()].flatMap(recordsOf),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await audit.close();
      await approvals.close();
      await apiKeys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps the console's cookies, follows nothing by itself. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ status: number; text: string; headers: Headers }> {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(`${this.base}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  /** Signs in with `key` through the form; the status of the post. */
  async signIn(key: string): Promise<number> {
    const form = await this.request('/console/sign-in');
    const token = /name="token" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    return (await this.request('/console/sign-in', { form: { token, api_key: key } })).status;
  }

  /** The CSRF token of the page at `path`. */
  async csrf(path = '/console/approvals'): Promise<string> {
    return /name="csrf" value="([^"]+)"/.exec((await this.request(path)).text)?.[1] ?? '';
  }
}
