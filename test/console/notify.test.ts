/**
 * The pending-approval webhook: a JSON POST signed with HMAC-SHA-256 over the timestamp
 * and body, naming the approval and linking to the console, never carrying the statement
 * or a parameter value; an unreachable webhook changes nothing.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { notifyPending } from '../../src/approvals/notify.js';
import type { Approval } from '../../src/approvals/store.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';

const SECRET = 'webhook-secret-0123456789abcdef0123456789';
const approval: Approval = {
  id: 'ap_AAAAAAAAAAAAAAAAAAAAAA',
  status: 'pending',
  principal: 'key:key_agentaaa',
  source: 'main',
  tool: 'execute',
  sqlHash: '0'.repeat(64),
  paramsHash: '0'.repeat(64),
  createdAt: '2026-12-07T10:00:00.000Z',
  expiresAt: '2026-12-07T10:15:00.000Z',
  instance: 'test',
  statement: "UPDATE t SET secret_col = 'do-not-send' WHERE id = 1",
  summary: '$1 = "value-do-not-send"',
  maxRows: 1,
};

describe('notifyPending', () => {
  it('posts the approval signed with the secret, without the statement or any value', async () => {
    let received: { headers: IncomingHttpHeaders; body: string } | undefined;
    const hook = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        received = { headers: req.headers, body };
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      await notifyPending(approval, { notify_url: url, notify_secret: SECRET, console_url: 'https://bastion.example.com/console/' }, createLogger('silent'));
      expect(received).toBeDefined();
      const { headers, body } = received ?? { headers: {}, body: '' };
      const timestamp = String(headers['x-bastion-timestamp']);
      expect(headers['x-bastion-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
      expect(JSON.parse(body)).toEqual({
        event: 'approval.pending',
        approval_id: approval.id,
        tool: 'execute',
        source: 'main',
        principal: 'key:key_agentaaa',
        created_at: approval.createdAt,
        expires_at: approval.expiresAt,
        console_url: 'https://bastion.example.com/console/approvals',
      });
      expect(body).not.toContain('do-not-send');
    } finally {
      hook.close();
    }
  });

  it('an unreachable webhook is logged and resolves; nothing is sent without a URL', async () => {
    await expect(notifyPending(approval, { notify_url: 'http://127.0.0.1:9/x', notify_secret: SECRET }, createLogger('silent'))).resolves.toBeUndefined();
    expect(notifyPending(approval, {}, createLogger('silent'))).toBeUndefined();
  });

  it('the configuration refuses a notify_url without a secret', () => {
    expect(() => configSchema.parse({ sources: { demo: { engine: 'pglite' } }, approvals: { notify_url: 'https://chat.example.com/hook' } })).toThrow(/notify_secret/);
  });
});
