import { usageWriteStatements } from "../db/usage-events";
import type { Env } from "../env";
import { settleLimits } from "../limits/client";
import { priceRecords } from "./pricing";
import type { PricedRecord, StartedNote, UsageRecord } from "./usage-record";

/** The settles of records that held a reservation, per team. */
export function settlesByTeam(records: PricedRecord[]): Map<string, { requestId: string; costMicroUsd: number; tokens: number }[]> {
  const byTeam = new Map<string, { requestId: string; costMicroUsd: number; tokens: number }[]>();
  for (const record of records) {
    if (!record.reserved) continue;
    const list = byTeam.get(record.team_id) ?? [];
    list.push({ requestId: record.request_id, costMicroUsd: record.cost_micro_usd ?? 0, tokens: record.total_tokens });
    byTeam.set(record.team_id, list);
  }
  return byTeam;
}

/** Settles every reservation these records held (idempotent in the team's object). Throws if any team's object failed. */
export async function settleReserved(env: Env, records: PricedRecord[]): Promise<void> {
  const results = await Promise.allSettled([...settlesByTeam(records)].map(([teamId, settles]) => settleLimits(env, teamId, settles)));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Writes records (priced first) and started notes into D1 in one batch (one
 * transaction), then settles the reservations the records held. Every writer of the
 * ledger goes through here: the queue consumer, the producer's direct fallback and the
 * dead-letter replay. Idempotent on request_id all the way.
 * `alsoInTransaction` commits with them or not at all (the replay's deletion of its dead letter).
 */
export async function applyUsage(
  env: Env,
  records: UsageRecord[],
  notes: StartedNote[] = [],
  alsoInTransaction: D1PreparedStatement[] = [],
): Promise<void> {
  const priced = await priceRecords(env.DB, records);
  await env.DB.batch([...usageWriteStatements(env.DB, priced, notes), ...alsoInTransaction]);
  await settleReserved(env, priced);
}
