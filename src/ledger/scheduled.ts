import type { Env } from "../env";
import { exportClosedHours } from "./export";
import { pruneRawRows } from "./retention";
import { sweepInterrupted } from "./sweep";

/**
 * The ledger's jobs, run by the Cron Trigger in wrangler.toml (locally: `wrangler dev --test-scheduled`, then /__scheduled),
 * in this order: the sweep closes lost requests, the export writes closed hours to R2, retention prunes verified ones.
 * Each runs even if one before it failed (a failing export must not stop the sweep's billing); the run then fails.
 * Export and retention take the run's scheduled time as now.
 */
export async function runLedgerJobs(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const now = controller.scheduledTime;
  const jobs: [string, () => Promise<unknown>][] = [
    ["sweep", () => sweepInterrupted(env)],
    ["export", () => exportClosedHours(env, now)],
    ["retention", () => pruneRawRows(env, now)],
  ];
  const failures: unknown[] = [];
  for (const [name, job] of jobs) {
    try {
      await job();
    } catch (err) {
      console.error(JSON.stringify({ message: "ledger job failed", job: name, error: String(err) }));
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, "ledger jobs failed");
}
