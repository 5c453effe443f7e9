import type { Env } from "../env";
import { sweepInterrupted } from "./sweep";

/** The ledger's jobs, run by the Cron Trigger in wrangler.toml (locally: `wrangler dev --test-scheduled`, then /__scheduled). */
export async function runLedgerJobs(_controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  await sweepInterrupted(env);
}
