/**
 * Promises by key, each kept for `ttlMs` from when its load started. Callers that
 * ask while a load is running share it; a load that fails is forgotten, so the next
 * caller tries again instead of getting the old failure for the rest of the TTL.
 */
export class TtlPromiseCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached !== undefined && Date.now() - cached.at < this.ttlMs) return cached.value;
    const value = load();
    this.entries.set(key, { at: Date.now(), value });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
