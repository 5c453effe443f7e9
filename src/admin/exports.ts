import { createRoute, z } from "@hono/zod-openapi";
import { type LedgerExportRow, listExports } from "../db/exports";
import { GatewayError } from "../errors";
import { isHour } from "../ledger/hours";
import { ExportManifestSchema, parseManifest } from "../ledger/manifest";
import { adminRouter, ERRORS, json } from "./routes-common";
import { PageQuery, page } from "./schemas";
import { decodeCursor, pageOf } from "./views";

export const EXPORT_STATUSES = ["exporting", "stale", "exported", "pruning", "pruned"] as const;

const ExportSchema = z
  .object({
    hour: z.string().openapi({ description: "UTC hour of started_at", example: "2026-12-01T13" }),
    status: z.enum(EXPORT_STATUSES).openapi({
      description:
        "exporting: an export is under way (or did not finish); stale: rows landed after the export, re-exported at the next run; exported: in R2, raw rows still in D1; pruning: verified, raw rows being deleted; pruned: every verified raw row deleted from D1",
    }),
    manifest_key: z.string().nullable(),
    manifest: ExportManifestSchema.nullable().openapi({ description: "The manifest as written to R2 beside the parts" }),
    exported_at: z.string().nullable(),
    verified_parts: z.number().int().openapi({ description: "Parts verified against D1 before their raw rows were deleted" }),
    verified_at: z.string().nullable(),
    pruned_rows: z.number().int().openapi({ description: "Raw rows of the hour deleted from D1" }),
    pruned_at: z.string().nullable(),
  })
  .openapi("LedgerExport");

function status(row: LedgerExportRow): (typeof EXPORT_STATUSES)[number] {
  if (row.exported_at === null) return "exporting";
  if (row.stale) return "stale";
  if (row.pruned_at !== null) return "pruned";
  return row.verified_parts > 0 ? "pruning" : "exported";
}

function exportView(row: LedgerExportRow) {
  return {
    hour: row.hour,
    status: status(row),
    manifest_key: row.manifest_key,
    manifest: row.manifest === null ? null : parseManifest(row.manifest),
    exported_at: row.exported_at,
    verified_parts: row.verified_parts,
    verified_at: row.verified_at,
    pruned_rows: row.pruned_rows,
    pruned_at: row.pruned_at,
  };
}

export const ledgerExports = adminRouter();

ledgerExports.openapi(
  createRoute({
    method: "get",
    path: "/exports",
    operationId: "listExports",
    summary: "Hourly exports of the raw ledger to R2, newest hour first, with their manifests",
    request: { query: PageQuery },
    responses: { 200: json(page(ExportSchema, "LedgerExportPage"), "A page of exports"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function listLedgerExports(c) {
    const { limit, cursor } = c.req.valid("query");
    const after = decodeCursor(cursor);
    if (after !== undefined && !isHour(after.at)) {
      throw new GatewayError(400, "invalid_cursor", "`cursor` is not a cursor this API returned.", { param: "cursor" });
    }
    const rows = await listExports(c.env.DB, limit + 1, after?.at);
    return c.json(
      pageOf(rows, limit, exportView, (row) => ({ at: row.hour, id: row.hour })),
      200,
    );
  },
);
