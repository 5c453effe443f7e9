import {
  countPrunedStatement,
  deleteVerifiedRowsStatement,
  finishPruneStatement,
  type LedgerExportRow,
  markStaleStatement,
  markVerifiedStatement,
  pruneCandidates,
  restartExportStatement,
} from "../db/exports";
import type { Env } from "../env";
import { hourOf, nextHour } from "./hours";
import { rawKeepMs } from "./ledger-config";
import { type Refusal, verifyExport } from "./verify";

/** Rows deleted per statement, and statements per cron run: bounded work, one hour at a time. */
export const DELETE_CHUNK_ROWS = 5_000;
export const MAX_DELETE_CHUNKS_PER_RUN = 60;
const MAX_HOURS_PER_RUN = 24;

export interface PruneReport {
  pruned: { hour: string; rows: number; done: boolean }[];
  refused: { hour: string; reason: Refusal; detail: string }[];
}

export interface PruneOptions {
  chunkRows?: number;
  maxChunks?: number;
}

/** What a refusal leads to: rows that changed are exported again; damage is exported again only while every row is still in D1. */
async function onRefusal(env: Env, state: LedgerExportRow, reason: Refusal, detail: string): Promise<void> {
  if (reason === "rows_changed") await markStaleStatement(env.DB, state.hour).run();
  if (reason === "damaged") {
    if (state.pruned_rows === 0) await restartExportStatement(env.DB, state.hour).run();
    else console.error(JSON.stringify({ message: "export of a partly pruned hour is damaged; pruning stopped", hour: state.hour, detail }));
  }
  console.warn(JSON.stringify({ message: "ledger hour not pruned", hour: state.hour, reason, detail }));
}

/**
 * Deletes the raw rows of hours older than the raw retention (RAW_RETENTION_DAYS with the d1
 * sink, RAW_WINDOW_HOURS with the r2 sink), only where the hour's export was verified
 * against D1 just before (src/ledger/verify.ts), and only rows recorded no later than what
 * was verified: a record landing meanwhile stays, and makes the hour stale for re-export.
 * The roll-ups are not touched (no trigger on delete), so usage totals do not change.
 */
export async function pruneRawRows(env: Env, now = Date.now(), options: PruneOptions = {}): Promise<PruneReport> {
  const chunkRows = options.chunkRows ?? DELETE_CHUNK_ROWS;
  let chunksLeft = options.maxChunks ?? MAX_DELETE_CHUNKS_PER_RUN;
  const report: PruneReport = { pruned: [], refused: [] };
  const candidates = await pruneCandidates(env.DB, hourOf(now - rawKeepMs(env)), MAX_HOURS_PER_RUN);
  for (const state of candidates) {
    if (chunksLeft <= 0) break;
    const verdict = await verifyExport(env, state, now);
    if (!verdict.ok) {
      report.refused.push({ hour: state.hour, reason: verdict.reason, detail: verdict.detail });
      await onRefusal(env, state, verdict.reason, verdict.detail);
      continue;
    }
    const marked = await markVerifiedStatement(
      env.DB,
      state.hour,
      verdict.verifiedParts,
      verdict.verifiedThrough,
      new Date(now).toISOString(),
    ).run();
    if (marked.meta.changes !== 1) continue; // went stale since it was read: the next export comes first

    const range = { from: state.hour, to: nextHour(state.hour) };
    let rows = 0;
    let done = false;
    while (!done && chunksLeft > 0) {
      chunksLeft--;
      const [deleted] = await env.DB.batch([
        deleteVerifiedRowsStatement(env.DB, range, verdict.verifiedThrough, chunkRows),
        countPrunedStatement(env.DB, state.hour),
      ]);
      const changes = deleted?.meta.changes ?? 0;
      rows += changes;
      done = changes < chunkRows;
    }
    if (done) await finishPruneStatement(env.DB, state.hour, new Date(now).toISOString()).run();
    report.pruned.push({ hour: state.hour, rows, done });
  }
  if (report.pruned.length > 0) console.log(JSON.stringify({ message: "ledger raw rows pruned", hours: report.pruned }));
  return report;
}
