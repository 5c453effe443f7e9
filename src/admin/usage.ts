import { createRoute, z } from "@hono/zod-openapi";
import {
  GROUP_COLUMNS,
  type GroupBy,
  listUsageEvents,
  summarizeUsage,
  TOTAL_COLUMNS,
  type UsageFilter,
  type UsageTotals,
} from "../db/usage-queries";
import { csvDocument } from "./csv";
import { adminRouter, ERRORS, json } from "./routes-common";
import { page, UsageEventsQuery, UsageRecordSchema, UsageSummaryQuery, UsageTotalsSchema } from "./schemas";
import { decodeCursor, pageOf } from "./views";

/** Stored times are toISOString() strings; a filter given with an offset is brought to the same form. */
function usageFilter(query: { team_id?: string; key_id?: string; from?: string; to?: string }): UsageFilter {
  const iso = (value?: string) => (value === undefined ? undefined : new Date(value).toISOString());
  return { teamId: query.team_id, keyId: query.key_id, from: iso(query.from), to: iso(query.to) };
}

function toCsv(rows: UsageTotals[], groupBy: GroupBy[]): string {
  const columns: (keyof UsageTotals)[] = [...[...new Set(groupBy)].map((g) => GROUP_COLUMNS[g]), ...TOTAL_COLUMNS];
  return csvDocument(columns, rows);
}

export const usage = adminRouter();

usage.openapi(
  createRoute({
    method: "get",
    path: "/usage/events",
    summary: "Usage records as the ledger stores them, in request-time order",
    request: { query: UsageEventsQuery },
    responses: { 200: json(page(UsageRecordSchema, "UsageEventPage"), "A page of usage records"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function listEvents(c) {
    const query = c.req.valid("query");
    const rows = await listUsageEvents(c.env.DB, usageFilter(query), query.limit + 1, decodeCursor(query.cursor));
    return c.json(
      pageOf(
        rows,
        query.limit,
        (row) => row,
        (row) => ({ at: row.started_at, id: row.request_id }),
      ),
      200,
    );
  },
);

usage.openapi(
  createRoute({
    method: "get",
    path: "/usage",
    summary: "Totals of requests and tokens, grouped by team, key, model and/or day (JSON or CSV)",
    request: { query: UsageSummaryQuery },
    responses: {
      200: {
        content: {
          "application/json": { schema: z.object({ data: z.array(UsageTotalsSchema) }) },
          "text/csv": { schema: z.string() },
        },
        description: "One row per group (one row in all without group_by)",
      },
      400: ERRORS[400],
      401: ERRORS[401],
    },
  }),
  async function summarize(c) {
    const query = c.req.valid("query");
    const rows = await summarizeUsage(c.env.DB, usageFilter(query), query.group_by);
    if (query.format === "csv") {
      return c.body(toCsv(rows, query.group_by), 200, { "content-type": "text/csv; charset=utf-8" });
    }
    return c.json({ data: rows }, 200);
  },
);
