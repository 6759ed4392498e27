import { createHmac } from 'node:crypto';
import type { ApprovalsConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Approval } from './store.js';

/** A webhook that does not answer within this long is given up on; the approval stays pending either way. */
const NOTIFY_TIMEOUT_MS = 5_000;

/**
 * Announces a new pending approval to `approvals.notify_url`: a JSON POST naming the
 * approval, the tool, source and requesting principal, its times and a link to the
 * console, never the statement or a value (those are read in the console, signed in).
 * `X-Bastion-Signature: sha256=<hex>` is the HMAC-SHA-256 of `<timestamp>.<body>` with
 * `notify_secret`, the timestamp in `X-Bastion-Timestamp` (seconds), so a receiver can
 * check who sent it and refuse a replay. Sent in the background: a failure is logged
 * (without the URL, which may hold a token) and changes nothing else.
 */
export function notifyPending(approval: Approval, config: ApprovalsConfig | undefined, log: Logger, now: () => number = Date.now): Promise<void> | undefined {
  const url = config?.notify_url;
  const secret = config?.notify_secret;
  if (config === undefined || url === undefined || secret === undefined) return undefined;
  const body = JSON.stringify({
    event: 'approval.pending',
    approval_id: approval.id,
    tool: approval.tool,
    source: approval.source,
    principal: approval.principal,
    created_at: approval.createdAt,
    expires_at: approval.expiresAt,
    ...(config.console_url === undefined ? {} : { console_url: `${config.console_url.replace(/\/$/, '')}/approvals` }),
  });
  const timestamp = String(Math.floor(now() / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bastion-timestamp': timestamp, 'x-bastion-signature': `sha256=${signature}` },
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
  })
    .then(async (response) => {
      await response.body?.cancel();
      if (!response.ok) log.warn({ approvalId: approval.id, status: response.status }, 'approvals: the notification webhook refused the notification');
    })
    .catch((error: unknown) => {
      log.warn({ approvalId: approval.id, error: error instanceof Error ? error.name : 'unknown' }, 'approvals: the notification webhook could not be reached');
    });
}
