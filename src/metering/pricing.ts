import { costMicroUsd } from "../pricing/cost";
import { batchPriceLookup, type PriceVersion, priceInForce } from "../pricing/price-store";
import type { PricedRecord, UsageRecord } from "./usage-record";

/**
 * The record with its cost at the price in force at its started_at (null: the model has
 * no price). Estimated usage is priced the same way and stays flagged by usage_source.
 * A record that already carries a cost keeps it: it was priced once, when recorded.
 */
export async function priceRecord(
  db: D1Database,
  record: UsageRecord,
  lookup: (model: string, atMs: number) => Promise<PriceVersion | null> = (model, atMs) => priceInForce(db, model, atMs),
): Promise<PricedRecord> {
  if (record.cost_micro_usd !== undefined) return { ...record, cost_micro_usd: record.cost_micro_usd, price_id: record.price_id ?? null };
  const price = record.model === null ? null : await lookup(record.model, Date.parse(record.started_at));
  return { ...record, cost_micro_usd: price ? costMicroUsd(record, price) : null, price_id: price?.id ?? null };
}

/** A batch's records, each model's price read from D1 once on a cold cache (not once per record). */
export function priceRecords(db: D1Database, records: UsageRecord[]): Promise<PricedRecord[]> {
  const lookup = batchPriceLookup(db);
  return Promise.all(records.map((record) => priceRecord(db, record, lookup)));
}
