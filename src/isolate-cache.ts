/**
 * An isolate-global cache of settled answers: fresh for `ttlMs` after they were read,
 * at most `maxEntries` (the oldest goes first), so a flood of distinct keys cannot grow
 * the isolate. Only settled values are kept, never a promise: in workerd a request that
 * awaits I/O started by another request fails ("Cannot perform I/O on behalf of a
 * different request"), as measured by npm run bench.
 */
export class IsolateCache<V> {
  private readonly entries = new Map<string, { value: V; cachedAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The value when it was read less than ttlMs before `now`. */
  fresh(key: string, now: number): V | undefined {
    const hit = this.entries.get(key);
    return hit && now - hit.cachedAt < this.ttlMs ? hit.value : undefined;
  }

  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, cachedAt: now });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
