import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { insertPriceStatement, type PriceRow } from "../../src/db/prices";
import { batchPriceLookup, clearPriceCache, forgetPrices, PRICE_CACHE_TTL_MS, priceInForce } from "../../src/pricing/price-store";
import { adminJson } from "../helpers/admin";

const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

let uniq = 0;
const modelName = (label: string) => `store-${label}-${++uniq}-${crypto.randomUUID().slice(0, 8)}`;

/** A version written straight to D1, as the admin API (of this or another isolate) would. */
async function seedPrice(
  model: string,
  effectiveFromMs: number,
  inputPico: number,
  id = `price_${crypto.randomUUID()}`,
): Promise<PriceRow> {
  const row: PriceRow = {
    id,
    model,
    input_pico_per_token: inputPico,
    cached_input_pico_per_token: inputPico / 2,
    output_pico_per_token: inputPico * 2,
    max_output_tokens: 8192,
    context_window: null,
    effective_from: iso(effectiveFromMs),
    created_at: iso(effectiveFromMs),
  };
  await insertPriceStatement(env.DB, row).run();
  return row;
}

beforeEach(() => clearPriceCache());
afterEach(() => vi.restoreAllMocks());

describe("priceInForce", () => {
  it("answers the version with the greatest effective_from at or before the moment, between two versions", async () => {
    const model = modelName("between");
    const first = await seedPrice(model, T0, 590_000);
    const second = await seedPrice(model, T0 + HOUR, 700_000);

    expect(await priceInForce(env.DB, model, T0 - 1, T0 - 1)).toBeNull();
    expect(await priceInForce(env.DB, model, T0, T0)).toMatchObject({ id: first.id, inputPicoPerToken: 590_000 });
    expect(await priceInForce(env.DB, model, T0 + HOUR / 2, T0 + HOUR / 2)).toMatchObject({ id: first.id });
    expect(await priceInForce(env.DB, model, T0 + HOUR - 1, T0 + HOUR - 1)).toMatchObject({ id: first.id });
    expect(await priceInForce(env.DB, model, T0 + HOUR, T0 + HOUR)).toMatchObject({ id: second.id, inputPicoPerToken: 700_000 });
  });

  it("returns every field of the version, prices as integers of pico-USD per token", async () => {
    const model = modelName("fields");
    const row = await seedPrice(model, T0, 590_000);
    expect(await priceInForce(env.DB, model, T0 + 1, T0 + 1)).toEqual({
      id: row.id,
      model,
      inputPicoPerToken: 590_000,
      cachedInputPicoPerToken: 295_000,
      outputPicoPerToken: 1_180_000,
      maxOutputTokens: 8192,
      contextWindow: null,
      effectiveFrom: iso(T0),
    });
  });

  it("breaks a tie of effective_from by the greater id", async () => {
    const model = modelName("tie");
    await seedPrice(model, T0, 1, "price_a");
    await seedPrice(model, T0, 2, "price_b");
    expect(await priceInForce(env.DB, model, T0, T0)).toMatchObject({ id: "price_b" });
  });

  it("answers null for a model with no price, and for a model id longer than the admin API accepts, without asking D1", async () => {
    expect(await priceInForce(env.DB, modelName("none"), T0, T0)).toBeNull();
    const prepare = vi.spyOn(env.DB, "prepare");
    expect(await priceInForce(env.DB, "m".repeat(201), T0, T0)).toBeNull();
    expect(prepare).not.toHaveBeenCalled();
  });

  it("refuses a moment that is not a time", async () => {
    await expect(priceInForce(env.DB, modelName("nan"), Number.NaN, T0)).rejects.toThrow(RangeError);
  });
});

describe("the isolate price cache", () => {
  it("asks D1 once for repeated look-ups within PRICE_CACHE_TTL_MS, priced or not", async () => {
    const priced = modelName("cached");
    await seedPrice(priced, T0, 590_000);
    const unpriced = modelName("unpriced");
    const prepare = vi.spyOn(env.DB, "prepare");

    for (const offset of [0, 1_000, PRICE_CACHE_TTL_MS - 1]) {
      expect(await priceInForce(env.DB, priced, T0 + offset, T0 + offset)).toMatchObject({ inputPicoPerToken: 590_000 });
      expect(await priceInForce(env.DB, unpriced, T0 + offset, T0 + offset)).toBeNull();
    }

    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it("switches to a scheduled version at its effective_from exactly, even inside the TTL", async () => {
    const model = modelName("scheduled");
    const first = await seedPrice(model, T0, 590_000);
    const next = await seedPrice(model, T0 + 2_000, 700_000);

    expect(await priceInForce(env.DB, model, T0 + 1_000, T0 + 1_000)).toMatchObject({ id: first.id });
    expect(await priceInForce(env.DB, model, T0 + 1_999, T0 + 1_999)).toMatchObject({ id: first.id });
    expect(await priceInForce(env.DB, model, T0 + 2_000, T0 + 2_000)).toMatchObject({ id: next.id });
  });

  it("sees a version written by another isolate once PRICE_CACHE_TTL_MS has passed (the documented bound)", async () => {
    const model = modelName("elsewhere");
    const first = await seedPrice(model, T0, 590_000);
    expect(await priceInForce(env.DB, model, T0, T0)).toMatchObject({ id: first.id });

    const newer = await seedPrice(model, T0 + 1, 700_000);

    expect(PRICE_CACHE_TTL_MS).toBe(5_000);
    expect(await priceInForce(env.DB, model, T0 + PRICE_CACHE_TTL_MS - 1, T0 + PRICE_CACHE_TTL_MS - 1)).toMatchObject({ id: first.id });
    expect(await priceInForce(env.DB, model, T0 + PRICE_CACHE_TTL_MS, T0 + PRICE_CACHE_TTL_MS)).toMatchObject({ id: newer.id });
  });

  it("reads D1 again at once after forgetPrices", async () => {
    const model = modelName("forget");
    const first = await seedPrice(model, T0, 590_000);
    expect(await priceInForce(env.DB, model, T0, T0)).toMatchObject({ id: first.id });
    const newer = await seedPrice(model, T0 + 1, 700_000);

    forgetPrices(model);

    expect(await priceInForce(env.DB, model, T0 + 2, T0 + 2)).toMatchObject({ id: newer.id });
  });

  it("forgets a model's price in the isolate that handled its PUT, so the new version applies here at once", async () => {
    const model = modelName("put");
    const body = { input_usd_per_mtok: "0.59", output_usd_per_mtok: "0.79", max_output_tokens: 8192 };
    const first = await adminJson<{ id: string }>("PUT", `/prices/${model}`, body);
    expect(await priceInForce(env.DB, model, Date.now())).toMatchObject({ id: first.id, inputPicoPerToken: 590_000 });

    const second = await adminJson<{ id: string }>("PUT", `/prices/${model}`, { ...body, input_usd_per_mtok: "0.65" });

    expect(await priceInForce(env.DB, model, Date.now())).toMatchObject({ id: second.id, inputPicoPerToken: 650_000 });
  });

  it("does not let a look-up of a long-past moment evict the current answer", async () => {
    const model = modelName("past");
    const old = await seedPrice(model, T0 - 2 * HOUR, 100_000);
    const current = await seedPrice(model, T0 - HOUR, 590_000);
    expect(await priceInForce(env.DB, model, T0, T0)).toMatchObject({ id: current.id });
    const prepare = vi.spyOn(env.DB, "prepare");

    expect(await priceInForce(env.DB, model, T0 - 90 * 60_000, T0)).toMatchObject({ id: old.id });
    expect(await priceInForce(env.DB, model, T0 + 1, T0 + 1)).toMatchObject({ id: current.id });

    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it("never shares a look-up in flight: concurrent misses each ask D1 (workerd forbids awaiting another request's I/O)", async () => {
    const model = modelName("concurrent");
    await seedPrice(model, T0, 590_000);
    const prepare = vi.spyOn(env.DB, "prepare");

    const answers = await Promise.all([priceInForce(env.DB, model, T0, T0), priceInForce(env.DB, model, T0, T0)]);

    expect(answers.map((a) => a?.inputPicoPerToken)).toEqual([590_000, 590_000]);
    expect(prepare).toHaveBeenCalledTimes(2);
  });
});

describe("batchPriceLookup", () => {
  it("reads D1 once per model for a batch of concurrent look-ups on a cold cache, with every answer right", async () => {
    const model = modelName("batch");
    const other = modelName("batch-other");
    const old = await seedPrice(model, Date.now() - 2 * HOUR, 100_000);
    const current = await seedPrice(model, Date.now() - HOUR, 590_000);
    const prepare = vi.spyOn(env.DB, "prepare");
    const lookup = batchPriceLookup(env.DB);
    const now = Date.now();

    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => lookup(model, now - i * 1_000)),
      lookup(other, now),
      lookup(model, now - 90 * 60_000),
    ]);

    expect(answers.slice(0, 10).map((a) => a?.id)).toEqual(Array(10).fill(current.id));
    expect(answers[10]).toBeNull();
    expect(answers[11]?.id).toBe(old.id);
    // The current model once, the other model once, the moment before the current version once.
    expect(prepare).toHaveBeenCalledTimes(3);
  });
});
