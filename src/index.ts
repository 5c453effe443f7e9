import { app } from "./app";
import type { Env } from "./env";
import { consumeUsageBatch } from "./metering/consumer";

export default {
  fetch: app.fetch,
  queue: consumeUsageBatch,
} satisfies ExportedHandler<Env>;
