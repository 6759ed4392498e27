import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { NO_METRICS, openMetrics } from '../../src/metrics/index.js';
import { parseListen } from '../../src/metrics/listener.js';

const base = { sources: { demo: { engine: 'pglite' } } };

describe('openMetrics', () => {
  it('is a no-op unless metrics.enabled, which is off by default', async () => {
    const config = configSchema.parse(base);
    expect(config.metrics).toEqual({ enabled: false });
    expect(await openMetrics(config)).toBe(NO_METRICS);
    expect((await NO_METRICS.render()).text).toBe('');
  });

  it('keeps one registry per context, so two servers in one process never mix counts', async () => {
    const config = configSchema.parse({ ...base, metrics: { enabled: true } });
    const a = await openMetrics(config);
    const b = await openMetrics(config);
    try {
      a.recordCall('query', 'ok', undefined, 0.01);
      expect((await a.render()).text).toContain('bastion_tool_calls_total{tool="query",outcome="ok"} 1');
      expect((await b.render()).text).not.toContain('bastion_tool_calls_total{');
    } finally {
      a.close();
      b.close();
    }
  });

  it('counts HTTP refusals by reason, with bounded tool labels (none for sessions, other for a made-up name), and reclaimed sessions', async () => {
    const metrics = await openMetrics(configSchema.parse({ ...base, metrics: { enabled: true } }));
    try {
      metrics.recordHttpRefusal('insufficient_scope', 'query');
      metrics.recordHttpRefusal('insufficient_scope', 'made_up_tool_xyz');
      metrics.recordHttpRefusal('session_limit');
      metrics.recordHttpRefusal('session_limit');
      metrics.recordSessionReclaimed();
      const { text } = await metrics.render();
      expect(text).not.toContain('made_up_tool_xyz');
      expect(text).toContain('bastion_http_refusals_total{reason="insufficient_scope",tool="query"} 1');
      expect(text).toContain('bastion_http_refusals_total{reason="insufficient_scope",tool="other"} 1');
      expect(text).toContain('bastion_http_refusals_total{reason="session_limit",tool="none"} 2');
      expect(text).toContain('bastion_sessions_reclaimed_total 1');
    } finally {
      metrics.close();
    }
  });

  it('labels a tool name it does not ship as `other`, so a client cannot mint label values', async () => {
    const metrics = await openMetrics(configSchema.parse({ ...base, metrics: { enabled: true } }));
    try {
      metrics.recordCall('drop_everything_xyz', 'denied', 'TOOL_NOT_ALLOWED', 0);
      const { text } = await metrics.render();
      expect(text).not.toContain('drop_everything_xyz');
      expect(text).toContain('bastion_tool_calls_total{tool="other",outcome="denied"} 1');
      expect(text).toContain('bastion_denials_total{tool="other",reason="TOOL_NOT_ALLOWED"} 1');
    } finally {
      metrics.close();
    }
  });

  it('counts a denial only when a control refused the call, not when an allowed call failed', async () => {
    const metrics = await openMetrics(configSchema.parse({ ...base, metrics: { enabled: true } }));
    try {
      metrics.recordCall('query', 'error', 'QUERY_FAILED', 0);
      metrics.recordCall('query', 'rate_limited', 'RATE_LIMITED', 0);
      const { text } = await metrics.render();
      expect(text).not.toContain('reason="QUERY_FAILED"');
      expect(text).toContain('bastion_denials_total{tool="query",reason="RATE_LIMITED"} 1');
    } finally {
      metrics.close();
    }
  });
});

describe('metrics config', () => {
  it('refuses a malformed listen address, naming the key', () => {
    const parsed = configSchema.safeParse({ ...base, metrics: { enabled: true, listen: 'localhost' } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues[0]?.path)).toBe('["metrics","listen"]');
  });

  it('refuses an unknown key in the metrics section', () => {
    expect(configSchema.safeParse({ ...base, metrics: { enabled: true, lsiten: '127.0.0.1:9464' } }).success).toBe(false);
  });

  it('parses host:port and [v6]:port', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('127.0.0.1:99999')).toBeUndefined();
    expect(parseListen('127.0.0.1')).toBeUndefined();
  });
});
