import { createRoute } from "@hono/zod-openapi";
import { type AuditRow, listAudit } from "../db/audit";
import { GatewayError } from "../errors";
import { adminRouter, ERRORS, json } from "./routes-common";
import { AuditEntrySchema, AuditQuery, page } from "./schemas";
import type { AuditTarget } from "./views";

function auditView(row: AuditRow) {
  return {
    ...row,
    target_type: row.target_type as AuditTarget,
    before: row.before === null ? null : (JSON.parse(row.before) as Record<string, unknown>),
    after: row.after === null ? null : (JSON.parse(row.after) as Record<string, unknown>),
  };
}

export const audit = adminRouter();

audit.openapi(
  createRoute({
    method: "get",
    path: "/audit",
    operationId: "listAuditEntries",
    summary: "Every admin change, newest first, each naming its operator",
    request: { query: AuditQuery },
    responses: { 200: json(page(AuditEntrySchema, "AuditPage"), "A page of audit entries"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function listAuditEntries(c) {
    const { limit, cursor, target_id, actor } = c.req.valid("query");
    // Audit ids are UUIDv7, so the id alone orders entries by time: it is the cursor.
    if (cursor !== undefined && !/^[0-9a-f-]{36}$/.test(cursor)) {
      throw new GatewayError(400, "invalid_cursor", "`cursor` is not a cursor this API returned.", { param: "cursor" });
    }
    const rows = await listAudit(c.env.DB, limit + 1, { targetId: target_id, actorId: actor, before: cursor });
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    return c.json({ data: kept.map(auditView), next_cursor: more ? (kept.at(-1)?.id ?? null) : null }, 200);
  },
);
