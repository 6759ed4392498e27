/**
 * The console's single sign-on routes with a stand-in for the OIDC module: the sign-in
 * link shows only when SSO is configured; a callback signs in only the browser that
 * started the sign-in, once, and only a role with console rights; each sign-in is audited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleSso } from '../../src/console/index.js';
import { Browser, startConsole, type ConsoleHarness } from './harness.js';

let h: ConsoleHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An identity provider that signs in whoever `role` says, when the callback carries the state it issued. */
function fakeIdp(role: string): ConsoleSso<string> & { finished: string[] } {
  const finished: string[] = [];
  return {
    finished,
    async begin() {
      return { url: 'https://idp.example.com/authorize?state=s1', pending: 's1' };
    },
    async finish(callbackUrl, pending) {
      finished.push(callbackUrl);
      if (new URL(callbackUrl).searchParams.get('state') !== pending) throw new Error('state mismatch');
      return { subject: 'alice', role };
    },
  };
}

describe('console single sign-on', () => {
  it('no SSO configured: no link, and the SSO paths are 404', async () => {
    h = await startConsole();
    const browser = new Browser(h.base);
    expect((await browser.request('/console/sign-in')).text).not.toContain('Sign in with SSO');
    expect((await browser.request('/console/oidc/start')).status).toBe(404);
  });

  it('the browser that started it is signed in, once; the sign-in is audited as the subject', async () => {
    const idp = fakeIdp('approver');
    h = await startConsole({}, { sso: idp });
    const browser = new Browser(h.base);
    expect((await browser.request('/console/sign-in')).text).toContain('href="/console/oidc/start"');
    const start = await browser.request('/console/oidc/start');
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('https://idp.example.com/authorize?state=s1');

    // Another browser arriving at the callback (no handle cookie) gets nothing.
    const stranger = new Browser(h.base);
    expect((await stranger.request('/console/oidc/callback?state=s1&code=c')).status).toBe(401);
    expect((await stranger.request('/console/approvals')).status).toBe(303);

    const callback = await browser.request('/console/oidc/callback?state=s1&code=c');
    expect(callback.status).toBe(303);
    expect((await browser.request('/console/approvals')).status).toBe(200);
    expect(idp.finished).toHaveLength(1);
    expect(h.records().find((r) => r['reason'] === 'CONSOLE_SIGN_IN')).toMatchObject({ principal: { id: 'oidc:alice', kind: 'human', role: 'approver' } });

    // The pending state is used up: replaying the callback signs nobody in.
    const replay = new Browser(h.base);
    expect((await replay.request('/console/oidc/callback?state=s1&code=c')).status).toBe(401);
  });

  it('a subject whose role has no console right gets no session', async () => {
    h = await startConsole({}, { sso: fakeIdp('writer') });
    const browser = new Browser(h.base);
    await browser.request('/console/oidc/start');
    expect((await browser.request('/console/oidc/callback?state=s1&code=c')).status).toBe(401);
    expect((await browser.request('/console/approvals')).status).toBe(303);
    expect(h.failures.map((f) => f.code)).toEqual(['AUTH_UNKNOWN_ROLE']);
  });
});
