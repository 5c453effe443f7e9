import { createRoute, z } from "@hono/zod-openapi";
import { listUsageEvents, type UsageFilter } from "../db/usage-queries";
import { GROUP_COLUMNS, type GroupBy, groupPosition, summarizeUsage, TOTAL_COLUMNS, type UsageTotals } from "../db/usage-summary";
import { GatewayError } from "../errors";
import { csvDocument } from "./csv";
import { adminRouter, ERRORS, json } from "./routes-common";
import { page, UsageEventsQuery, UsageRecordSchema, UsageSummaryQuery, UsageTotalsSchema } from "./schemas";
import { decodeCursor, decodeCursorValues, encodeCursorValues, pageOf } from "./views";

/** Stored times are toISOString() strings; a filter given with an offset is brought to the same form. */
function usageFilter(query: { team_id?: string; key_id?: string; from?: string; to?: string }): UsageFilter {
  const iso = (value?: string) => (value === undefined ? undefined : new Date(value).toISOString());
  return { teamId: query.team_id, keyId: query.key_id, from: iso(query.from), to: iso(query.to) };
}

/** The group columns, each id with its name beside it. */
function groupColumns(groupBy: GroupBy[]): (keyof UsageTotals)[] {
  return [...new Set(groupBy)].flatMap((g): (keyof UsageTotals)[] =>
    g === "team" ? ["team_id", "team_name"] : g === "key" ? ["key_id", "key_name"] : [GROUP_COLUMNS[g]],
  );
}

function toCsv(rows: UsageTotals[], groupBy: GroupBy[]): string {
  return csvDocument([...groupColumns(groupBy), ...TOTAL_COLUMNS], rows);
}

/** The group values of a grouped summary's cursor: as many as there are groups, each text or null. */
function decodeGroupCursor(cursor: string | undefined, groups: number): (string | null)[] | undefined {
  if (cursor === undefined) return undefined;
  const values = decodeCursorValues(cursor);
  if (values !== null && values.length === groups && values.every((v) => v === null || typeof v === "string")) {
    return values as (string | null)[];
  }
  throw new GatewayError(400, "invalid_cursor", "`cursor` is not a cursor this API returned for this group_by.", { param: "cursor" });
}

export const usage = adminRouter();

usage.openapi(
  createRoute({
    method: "get",
    path: "/usage/events",
    operationId: "listUsageEvents",
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
    operationId: "getUsageSummary",
    summary: "Totals of requests, tokens and cost, grouped by team, key, model, day, hour and/or outcome (JSON or CSV)",
    request: { query: UsageSummaryQuery },
    responses: {
      200: {
        content: {
          "application/json": { schema: z.object({ data: z.array(UsageTotalsSchema), next_cursor: z.string().nullable() }) },
          "text/csv": { schema: z.string() },
        },
        description: "One row per group in group order, a page at a time (one row in all without group_by); CSV holds every group",
      },
      400: ERRORS[400],
      401: ERRORS[401],
    },
  }),
  async function summarize(c) {
    const query = c.req.valid("query");
    const filter = usageFilter(query);
    if (query.format === "csv") {
      const rows = await summarizeUsage(c.env.DB, filter, query.group_by);
      return c.body(toCsv(rows, query.group_by), 200, { "content-type": "text/csv; charset=utf-8" });
    }
    const groups = new Set(query.group_by).size;
    const after = decodeGroupCursor(query.cursor, groups);
    const rows = await summarizeUsage(c.env.DB, filter, query.group_by, { limit: query.limit, after });
    const more = groups > 0 && rows.length > query.limit;
    const data = more ? rows.slice(0, query.limit) : rows;
    const last = data.at(-1);
    return c.json({ data, next_cursor: more && last ? encodeCursorValues(groupPosition(last, query.group_by)) : null }, 200);
  },
);
