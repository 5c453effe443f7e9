import { costMicroUsd } from "../pricing/cost";
import { priceInForce } from "../pricing/price-store";
import type { PricedRecord, UsageRecord } from "./usage-record";

/**
 * The record with its cost at the price in force at its started_at (null: the model has
 * no price). Estimated usage is priced the same way and stays flagged by usage_source.
 * A record that already carries a cost keeps it: it was priced once, when recorded.
 */
export async function priceRecord(db: D1Database, record: UsageRecord): Promise<PricedRecord> {
  if (record.cost_micro_usd !== undefined) return { ...record, cost_micro_usd: record.cost_micro_usd, price_id: record.price_id ?? null };
  const price = record.model === null ? null : await priceInForce(db, record.model, Date.parse(record.started_at));
  return { ...record, cost_micro_usd: price ? costMicroUsd(record, price) : null, price_id: price?.id ?? null };
}

export function priceRecords(db: D1Database, records: UsageRecord[]): Promise<PricedRecord[]> {
  return Promise.all(records.map((record) => priceRecord(db, record)));
}
