import { describe, expect, it } from 'vitest';
import { redactText } from '../../src/log/redact.js';

describe('log redaction', () => {
  it('removes the password and user from connection URLs', () => {
    const out = redactText('connect failed for postgres://app:hunter2@db.internal:5432/prod');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('app:');
    expect(out).toContain('postgres://***:***@db.internal:5432/prod');
  });

  it('removes password=... pairs in libpq keyword strings', () => {
    const out = redactText("host=db user=app password='hunter2' dbname=prod");
    expect(out).not.toContain('hunter2');
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('relation "shop.orders" does not exist')).toBe('relation "shop.orders" does not exist');
  });
});
