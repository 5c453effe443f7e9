import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { HOUR_MS, manifestKey, partKey } from "../../src/ledger/hours";
import { adminCall, adminJson, allPages, expectAdminError } from "../helpers/admin";
import { deliver, pastHour, runCron } from "../helpers/ledger";
import { usageRecord } from "../helpers/usage-record";

interface ExportEntry {
  hour: string;
  status: string;
  manifest_key: string | null;
  manifest: { rows: number; parts: { key: string; rows: number; sha256: string }[] } | null;
  pruned_rows: number;
}

describe("GET /admin/exports", () => {
  it("lists the exported hours newest first with their manifests, a page at a time", async () => {
    const hours = [200, 199, 198].map((ago) => pastHour(ago));
    for (const [i, hour] of hours.entries()) {
      await deliver(Array.from({ length: i + 1 }, (_, n) => usageRecord({ started_at: hour.at(n * 1000) })));
    }
    await runCron(Date.now());

    const { items, pageSizes } = await allPages<ExportEntry>("/exports", 2);
    expect(pageSizes).toEqual([2, 1]);
    expect(items.map((e) => e.hour)).toEqual(hours.map((h) => h.hour).reverse());
    const newest = items[0] as ExportEntry;
    expect(newest).toMatchObject({ status: "exported", manifest_key: manifestKey(newest.hour), pruned_rows: 0 });
    expect(newest.manifest).toMatchObject({ rows: 3, parts: [{ key: partKey(newest.hour, 0), rows: 3 }] });
    expect(newest.manifest?.parts[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("shows an hour as pruned once retention deleted its raw rows", async () => {
    const hour = pastHour(210);
    await deliver([usageRecord({ started_at: hour.at(0) })]);
    await runCron(Date.now() + HOUR_MS, { RAW_RETENTION_DAYS: "0" } as Partial<Env>);
    const { items } = await allPages<ExportEntry>("/exports", 100);
    expect(items.find((e) => e.hour === hour.hour)).toMatchObject({ status: "pruned", pruned_rows: 1 });
  });

  it("refuses a cursor it did not return, and answers only with the admin token", async () => {
    await expectAdminError(await adminCall("GET", "/exports?cursor=bogus"), 400, { code: "invalid_cursor", param: "cursor" });
    await expectAdminError(await adminCall("GET", "/exports", undefined, null), 401);
  });

  it("is in the OpenAPI document as listExports", async () => {
    const doc = await adminJson<{ paths: Record<string, { get?: { operationId?: string } }> }>("GET", "/openapi.json");
    expect(doc.paths["/exports"]?.get?.operationId).toBe("listExports");
    expect(env.LEDGER_BUCKET).toBeDefined();
  });
});
