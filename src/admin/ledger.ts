import { createRoute, z } from "@hono/zod-openapi";
import { countDeadLetters } from "../db/dead-letters";
import { ledgerLag } from "../db/usage-queries";
import { openStartedSummary } from "../db/usage-started";
import { replayDeadLetters } from "../ledger/replay";
import { interruptedAfterSeconds } from "../ledger/sweep";
import { adminRouter, ERRORS, json, jsonBody } from "./routes-common";

/** Rows recorded in this window give the ledger's lag. */
const LAG_WINDOW_MS = 5 * 60 * 1000;

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]).openapi({ description: "degraded while dead letters wait or a started request is overdue" }),
    ledger: z.object({
      last_recorded_at: z.string().nullable().openapi({ description: "When the newest row in the lag window was written" }),
      lag_ms: z
        .object({ p50: z.number().int().nullable(), max: z.number().int().nullable(), rows: z.number().int() })
        .openapi({ description: "From a request's end to its row in D1, over rows started in the last 5 minutes" }),
    }),
    dead_letters: z.object({ count: z.number().int(), oldest_parked_at: z.string().nullable() }),
    started_requests: z.object({
      open: z.number().int().openapi({ description: "Forwarded requests with no final record yet (in flight, or lost)" }),
      oldest_started_at: z.string().nullable(),
      oldest_age_seconds: z.number().int().nullable(),
      interrupted_after_seconds: z.number().int(),
    }),
  })
  .openapi("Health");

const DEFAULT_REPLAY_LIMIT = 100;
const ReplayBody = z.strictObject({ limit: z.number().int().min(1).max(1000).default(DEFAULT_REPLAY_LIMIT) }).openapi("ReplayRequest");

const ReplaySchema = z
  .object({
    replayed: z.number().int(),
    failed: z.array(z.object({ message_id: z.string(), request_id: z.string().nullable(), error: z.string() })),
    remaining: z.number().int().openapi({ description: "Dead letters still parked after this run" }),
  })
  .openapi("ReplayResult");

export const ledger = adminRouter();

ledger.openapi(
  createRoute({
    method: "get",
    path: "/health",
    operationId: "getHealth",
    summary: "The ledger's health: lag, dead letters, open started requests",
    responses: { 200: json(HealthSchema, "Ledger health"), 401: ERRORS[401] },
  }),
  async function ledgerHealth(c) {
    const now = Date.now();
    const [lag, dead, started] = await Promise.all([
      ledgerLag(c.env.DB, new Date(now - LAG_WINDOW_MS).toISOString()),
      countDeadLetters(c.env.DB),
      openStartedSummary(c.env.DB),
    ]);
    const threshold = interruptedAfterSeconds(c.env);
    const oldestAge = started.oldest === null ? null : Math.max(0, Math.floor((now - Date.parse(started.oldest)) / 1000));
    const overdue = oldestAge !== null && oldestAge > threshold;
    return c.json(
      {
        status: dead.count > 0 || overdue ? ("degraded" as const) : ("ok" as const),
        ledger: {
          last_recorded_at: lag.lastRecordedAt === null ? null : new Date(lag.lastRecordedAt).toISOString(),
          lag_ms: { p50: lag.p50, max: lag.max, rows: lag.rows },
        },
        dead_letters: { count: dead.count, oldest_parked_at: dead.oldest },
        started_requests: {
          open: started.count,
          oldest_started_at: started.oldest,
          oldest_age_seconds: oldestAge,
          interrupted_after_seconds: threshold,
        },
      },
      200,
    );
  },
);

ledger.openapi(
  createRoute({
    method: "post",
    path: "/usage/replay",
    operationId: "replayDeadLetters",
    summary: "Apply parked dead letters to the ledger (idempotent by request id)",
    request: jsonBody(ReplayBody, false),
    responses: { 200: json(ReplaySchema, "What was applied and what is still parked"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function replayUsage(c) {
    // With no body the validator hands over `{}` unparsed: the default is applied here too.
    const limit = (c.req.valid("json") as { limit?: number } | undefined)?.limit ?? DEFAULT_REPLAY_LIMIT;
    const result = await replayDeadLetters(c.env, limit);
    const { count } = await countDeadLetters(c.env.DB);
    return c.json({ ...result, remaining: count }, 200);
  },
);
