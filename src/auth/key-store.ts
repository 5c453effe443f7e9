import { findKeyByHash } from "../db/keys";
import type { LimitPolicy } from "../limits/policy";

/** What the data plane needs to know about a gateway key. Never holds the secret. */
export interface KeyRecord {
  id: string;
  teamId: string;
  prefix: string;
  /** Allowed model ids; null means every model. */
  models: string[] | null;
  /** The key's own expiry, epoch ms, or null for no expiry. */
  expiresAt: number | null;
  revoked: boolean;
  /** The key's and its team's budgets and rate limits; null when there are none (no Durable Object is called). */
  limits: LimitPolicy | null;
  /**
   * Only when the secret is the one the last rotation replaced: epoch ms from which
   * it is refused as rotated (the end of its grace period, or the rotation itself).
   */
  replacedAt?: number;
}

/**
 * How long a looked-up key is trusted without asking D1 again. This is the
 * documented bound for revocation to reach every isolate; the isolate that
 * handled a revoke forgets the key at once (forgetKey).
 */
export const KEY_CACHE_TTL_MS = 5_000;
/** Keeps a flood of distinct valid keys from growing the isolate without bound. */
const MAX_CACHED_KEYS = 10_000;

interface CacheEntry {
  record: KeyRecord;
  cachedAt: number;
}

// Isolate-global on purpose: it outlives a request, which is the point of a cache.
// Only settled records are shared. Concurrent misses each ask D1: in workerd a lookup
// started by one request and awaited by others fails them ("Cannot perform I/O on
// behalf of a different request"), as measured by npm run bench.
const cache = new Map<string, CacheEntry>();

/**
 * The key record for a hash, from the isolate cache when fresh, else from D1.
 * Unknown keys are not cached, so a key minted a moment ago works at once.
 */
export async function lookupKey(db: D1Database, keyHash: string, now = Date.now()): Promise<KeyRecord | null> {
  const hit = cache.get(keyHash);
  if (hit && now - hit.cachedAt < KEY_CACHE_TTL_MS) return hit.record;

  const record = await findKeyByHash(db, keyHash);
  cache.delete(keyHash);
  if (record) {
    if (cache.size >= MAX_CACHED_KEYS) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(keyHash, { record, cachedAt: now });
  }
  return record;
}

/** Drop a key from this isolate's cache (after a revoke, rotation or edit). */
export function forgetKey(keyHash: string): void {
  cache.delete(keyHash);
}

/** For tests: start from an empty cache. */
export function clearKeyCache(): void {
  cache.clear();
}
