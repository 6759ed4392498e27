/**
 * Named prepared statements per connection, so PostgreSQL parses (and, for a
 * repeated statement, plans) each text once per connection instead of on every
 * call. Only Bastion's own wrapper statements and statements that already passed
 * the SQL policy are prepared; the cache dies with its connection, and a
 * connection that saw an error is destroyed, cache and all.
 *
 * A text is prepared under a name the second time this connection sees it: the
 * first time it goes as the unnamed statement, which PostgreSQL drops at the next
 * Parse. A statement a model writes with its constants inline is new on nearly every
 * call; naming each would keep it in the backend until 200 others pushed it out, and
 * cost a Close message then.
 */
const MAX_PREPARED = 200;
/** Texts seen once, remembered (by text, up to this many characters in all) to be named when seen again. */
const MAX_SEEN_CHARS = 256 * 1024;

export interface Prepared {
  name: string;
  /** False when the statement must be parsed in this round trip. */
  ready: boolean;
  /** A statement pushed out to make room; close it in the same write. */
  evicted?: string | undefined;
}

/** The unnamed statement: parsed on every use, replaced by the next Parse. */
const UNNAMED: Prepared = { name: '', ready: false };

export class StatementCache {
  private readonly names = new Map<string, string>();
  private readonly seen = new Set<string>();
  /** `seen` in insertion order (texts named since stay here until they come up): oldest at `oldest`. */
  private order: string[] = [];
  private oldest = 0;
  private seenChars = 0;
  private next = 0;

  /** The name for `text` (the unnamed statement the first time), recording it as prepared from now on. */
  prepare(text: string): Prepared {
    const existing = this.names.get(text);
    if (existing !== undefined) {
      // refresh recency
      this.names.delete(text);
      this.names.set(text, existing);
      return { name: existing, ready: true };
    }
    if (!this.seen.delete(text)) {
      this.remember(text);
      return UNNAMED;
    }
    this.seenChars -= text.length;
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

  /**
   * Oldest first out, so the remembered texts stay within MAX_SEEN_CHARS. A queue, not a
   * walk of the Set from its start: a Set keeps deleted entries as holes until it is
   * rebuilt, and a text model writes is new on nearly every call, so each walk would step
   * over thousands of them.
   */
  private remember(text: string): void {
    if (text.length > MAX_SEEN_CHARS) return;
    while (this.seenChars + text.length > MAX_SEEN_CHARS && this.oldest < this.order.length) {
      const old = this.order[this.oldest++] as string;
      // A text named since it was queued already left `seen` (and gave back its characters).
      if (this.seen.delete(old)) this.seenChars -= old.length;
    }
    // Entries already popped, or whose text was named since, are dropped now and then, so the
    // queue stays within a small multiple of what `seen` holds.
    if (this.order.length - this.oldest > 2 * this.seen.size + 1024 || this.oldest > 4096) this.compact();
    this.seen.add(text);
    this.order.push(text);
    this.seenChars += text.length;
  }

  /** The queue rebuilt from its live entries, oldest first, each text once. */
  private compact(): void {
    const live: string[] = [];
    const kept = new Set<string>();
    for (let i = this.oldest; i < this.order.length; i++) {
      const text = this.order[i] as string;
      if (this.seen.has(text) && !kept.has(text)) {
        kept.add(text);
        live.push(text);
      }
    }
    this.order = live;
    this.oldest = 0;
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
