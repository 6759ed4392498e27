/**
 * Console sign-in with OpenID Connect end to end: the console's own /console/oidc routes
 * (sso.ts) with the real relying party (oidc.ts), as the HTTP listener wires them
 * (transport/http/start.ts), against a real oidc-provider. A person with an approver role
 * is signed in and sees the approvals; a token for another audience and a role without
 * console rights get no session and see nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { oidcSchema } from '../../src/config/schema-access.js';
import type { ConsoleSso } from '../../src/console/index.js';
import { createOidcClient, type OidcPending } from '../../src/console/oidc.js';
import { startTestIssuer, type TestIssuer } from '../helpers/oidc-provider.js';
import { Browser, startConsole, type ConsoleHarness } from './harness.js';

let idp: TestIssuer | undefined;
let h: ConsoleHarness | undefined;

afterEach(async () => {
  await h?.close();
  await idp?.close();
  h = undefined;
  idp = undefined;
});

/**
 * What start.ts hands the console: the relying party behind the ConsoleSso shape. The
 * provider is started once the console listens, with the console's own callback registered.
 */
function sso(extra: Record<string, unknown> = {}): ConsoleSso {
  let rp: ReturnType<typeof createOidcClient> | undefined;
  const party = async (): Promise<ReturnType<typeof createOidcClient>> => {
    if (rp !== undefined) return rp;
    idp = await startTestIssuer({ redirectUri: `${h?.base ?? ''}/console/oidc/callback` });
    rp = createOidcClient(oidcSchema.parse({ issuer: idp.issuer, client_id: idp.clientId, ...extra }), {
      redirectUri: idp.redirectUri,
      knownRoles: new Set(['reader', 'writer', 'admin', 'approver', 'auditor']),
    });
    return rp;
  };
  return { begin: async () => (await party()).begin(), finish: async (url, pending) => (await party()).finish(new URL(url), pending as OidcPending) };
}

/** Starts the sign-in in `browser`, logs in at the provider as `account`, and brings the callback back to the console. */
async function signIn(browser: Browser, account: { sub: string; role?: string }): Promise<number> {
  const start = await browser.request('/console/oidc/start');
  expect(start.status).toBe(303);
  const callback = await (idp as TestIssuer).login(start.headers.get('location') ?? '', account);
  return (await browser.request(`/console/oidc/callback${callback.search}`)).status;
}

describe('console sign-in with a real OpenID provider', () => {
  it('an approver signs in through the provider, sees the approvals, and the sign-in is audited as oidc:<sub>', async () => {
    h = await startConsole({}, { sso: sso() });
    const browser = new Browser(h.base);
    expect((await browser.request('/console/approvals')).status).toBe(303);
    expect(await signIn(browser, { sub: 'dana', role: 'approver' })).toBe(303);
    const page = await browser.request('/console/approvals');
    expect(page.status).toBe(200);
    expect(h.records().find((r) => r['reason'] === 'CONSOLE_SIGN_IN')).toMatchObject({ principal: { id: 'oidc:dana', role: 'approver' } });
  });

  it('an ID token for another audience signs nobody in', async () => {
    h = await startConsole({}, { sso: sso({ audience: 'https://another-app.example.com' }) });
    const browser = new Browser(h.base);
    expect(await signIn(browser, { sub: 'eve', role: 'approver' })).not.toBe(303);
    expect((await browser.request('/console/approvals')).status).toBe(303);
    expect(h.records().some((r) => r['reason'] === 'CONSOLE_SIGN_IN')).toBe(false);
  });

  it('a role outside the console roles (writer) signs nobody in', async () => {
    h = await startConsole({}, { sso: sso() });
    const browser = new Browser(h.base);
    expect(await signIn(browser, { sub: 'mallory', role: 'writer' })).not.toBe(303);
    expect((await browser.request('/console/approvals')).status).toBe(303);
  });
});
