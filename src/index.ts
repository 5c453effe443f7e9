import { app } from "./app";
import type { Env } from "./env";
import { runLedgerJobs } from "./ledger/scheduled";
import { consumeQueue } from "./metering/queues";

export { TeamLimits } from "./limits/team-limits";

export default {
  fetch: app.fetch,
  queue: consumeQueue,
  scheduled: runLedgerJobs,
} satisfies ExportedHandler<Env>;
