import { findPriceWindow, type PriceRow } from "../db/prices";
import { IsolateCache } from "../isolate-cache";
import { MAX_MODEL_NAME_LENGTH } from "../metering/usage-record";
import type { TokenPrices } from "./cost";

/**
 * The price in force for a model at a moment, for the request path. Stable API:
 *
 *   priceInForce(db, model, atMs) -> Promise<PriceVersion | null>   null: the model has no price at atMs
 *   batchPriceLookup(db)     -> (model, atMs) => Promise<…>          for many look-ups in ONE request
 *   forgetPrices(model)                                             the isolate that handled a PUT
 *
 * The version in force at t is the one with the greatest effective_from <= t (ties: the
 * greatest id). Every forwarded request asks, so answers are cached per model in the
 * isolate: a hit is a Map lookup and two comparisons.
 */
export interface PriceVersion extends TokenPrices {
  id: string;
  model: string;
  maxOutputTokens: number;
  contextWindow: number | null;
  /** ISO-8601, toISOString() form. */
  effectiveFrom: string;
}

/**
 * How long an isolate trusts what it read. A version whose effective_from is at least
 * this far ahead of its PUT is applied at that instant by every isolate; one that takes
 * effect at once (the default) reaches other isolates within this bound.
 */
export const PRICE_CACHE_TTL_MS = 5_000;
/** Model names come from clients: a flood of distinct ones must not grow the isolate. */
const MAX_CACHED_MODELS = 1_000;

/**
 * What D1 said about one model when it was read: `version` is in force for every
 * moment in [from, until) (until = the next version's effective_from). No version may
 * take effect before it is written, so for moments before that read this never changes;
 * for later ones it holds until another version is written (hence the TTL).
 */
interface PriceWindow {
  version: PriceVersion | null;
  from: number;
  until: number;
}

// Isolate-global on purpose (it outlives a request); settled answers only (see IsolateCache).
const cache = new IsolateCache<PriceWindow>(PRICE_CACHE_TTL_MS, MAX_CACHED_MODELS);

function priceVersion(row: PriceRow): PriceVersion {
  return Object.freeze({
    id: row.id,
    model: row.model,
    inputPicoPerToken: row.input_pico_per_token,
    cachedInputPicoPerToken: row.cached_input_pico_per_token,
    outputPicoPerToken: row.output_pico_per_token,
    maxOutputTokens: row.max_output_tokens,
    contextWindow: row.context_window,
    effectiveFrom: row.effective_from,
  });
}

/** The price version of `model` in force at `atMs` (epoch ms), or null if it has none then. */
export async function priceInForce(db: D1Database, model: string, atMs: number, now = Date.now()): Promise<PriceVersion | null> {
  const hit = cache.fresh(model, now);
  if (hit && atMs >= hit.from && atMs < hit.until) return hit.version;
  if (!Number.isFinite(atMs)) throw new RangeError(`priceInForce: not a time: ${atMs}`);
  // The admin API refuses longer model ids, so such a name has no price; and it is not cached.
  if (model.length > MAX_MODEL_NAME_LENGTH) return null;

  const { inForce, next } = await findPriceWindow(db, model, new Date(atMs).toISOString());
  const window: PriceWindow = {
    version: inForce === null ? null : priceVersion(inForce),
    from: inForce === null ? Number.NEGATIVE_INFINITY : Date.parse(inForce.effective_from),
    until: next === null ? Number.POSITIVE_INFINITY : Date.parse(next.effective_from),
  };
  // A look-up of a long-past moment (a long stream's start) must not evict the current answer.
  if (now >= window.from && now < window.until) cache.set(model, window, now);
  return window.version;
}

/**
 * priceInForce for many records within one request (a queue batch): concurrent look-ups of
 * one model wait for the first one's D1 read, then answer from the cache, instead of each
 * reading D1 on a cold cache. Sharing a promise is safe here because it never leaves the
 * request that made it: create one per request, never keep it in a global.
 */
export function batchPriceLookup(db: D1Database): (model: string, atMs: number) => Promise<PriceVersion | null> {
  const first = new Map<string, Promise<unknown>>();
  return async function lookupBatchPrice(model, atMs) {
    const pending = first.get(model);
    if (pending !== undefined) {
      await pending;
      return priceInForce(db, model, atMs);
    }
    const lookup = priceInForce(db, model, atMs);
    first.set(
      model,
      lookup.catch(() => undefined),
    );
    return lookup;
  };
}

/** Drop a model's cached price in this isolate (after a PUT of a new version). */
export function forgetPrices(model: string): void {
  cache.delete(model);
}

/** For tests: start from an empty cache. */
export function clearPriceCache(): void {
  cache.clear();
}
