/**
 * The gateway as built, with its usage queue replaced by one that drops records,
 * so that the local queue broker and D1 writes (Miniflare runs both inside the
 * same workerd, where their CPU counts against the gateway) can be told apart
 * from the gateway's own work. Auth, body check, metering and the tap all run.
 */
import { app } from "../../src/app";
import type { Env } from "../../src/env";

const droppingQueue = {
  async send() {},
  async sendBatch() {},
} as unknown as Env["USAGE_QUEUE"];

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    return app.fetch(request, { ...env, USAGE_QUEUE: droppingQueue }, ctx);
  },
} satisfies ExportedHandler<Env>;
