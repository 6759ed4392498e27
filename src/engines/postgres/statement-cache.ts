/**
 * Named prepared statements per connection, so PostgreSQL parses (and, for a
 * repeated statement, plans) each text once per connection instead of on every
 * call. Only Bastion's own wrapper statements and statements that already passed
 * the SQL policy are prepared; the cache dies with its connection, and a
 * connection that saw an error is destroyed, cache and all.
 */
const MAX_PREPARED = 200;

export interface Prepared {
  name: string;
  /** False when the statement must be parsed in this round trip. */
  ready: boolean;
  /** A statement pushed out to make room; close it in the same write. */
  evicted?: string | undefined;
}

export class StatementCache {
  private readonly names = new Map<string, string>();
  private next = 0;

  /** The name for `text`, recording it as prepared from now on. */
  prepare(text: string): Prepared {
    const existing = this.names.get(text);
    if (existing !== undefined) {
      // refresh recency
      this.names.delete(text);
      this.names.set(text, existing);
      return { name: existing, ready: true };
    }
    let evicted: string | undefined;
    if (this.names.size >= MAX_PREPARED) {
      const [oldestText, oldestName] = this.names.entries().next().value as [string, string];
      this.names.delete(oldestText);
      evicted = oldestName;
    }
    const name = `bastion_${(this.next++).toString(36)}`;
    this.names.set(text, name);
    return { name, ready: false, evicted };
  }
}

const caches = new WeakMap<object, StatementCache>();

/** The cache of one connection (keyed by pg's connection object). */
export function cacheFor(connection: object): StatementCache {
  let cache = caches.get(connection);
  if (cache === undefined) {
    cache = new StatementCache();
    caches.set(connection, cache);
  }
  return cache;
}
