import { findKeyByHash } from "../db/keys";
import { IsolateCache } from "../isolate-cache";
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

// Isolate-global on purpose: it outlives a request, which is the point of a cache.
// Concurrent misses each ask D1 (see IsolateCache: a shared lookup fails in workerd).
const cache = new IsolateCache<KeyRecord>(KEY_CACHE_TTL_MS, MAX_CACHED_KEYS);

/**
 * The key record for a hash, from the isolate cache when fresh, else from D1.
 * Unknown keys are not cached, so a key minted a moment ago works at once.
 */
export async function lookupKey(db: D1Database, keyHash: string, now = Date.now()): Promise<KeyRecord | null> {
  const hit = cache.fresh(keyHash, now);
  if (hit) return hit;
  const record = await findKeyByHash(db, keyHash);
  if (record) cache.set(keyHash, record, now);
  else cache.delete(keyHash);
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
