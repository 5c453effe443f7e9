import { describe, expect, it } from "vitest";
import { adminJson } from "../helpers/admin";
import { signIn, tableColumn } from "../helpers/dashboard";
import { deliver, pastHour, runCron } from "../helpers/ledger";
import { usageRecord } from "../helpers/usage-record";

interface ExportEntry {
  hour: string;
  status: string;
  manifest: { rows: number; total_tokens: number } | null;
}

describe("the dashboard's ledger health page", () => {
  it("shows GET /admin/health and the newest exports with their status and record counts as GET /admin/exports answers", async () => {
    const hour = pastHour(5);
    await deliver(Array.from({ length: 3 }, (_, n) => usageRecord({ started_at: hour.at(n * 1000), total_tokens: 10 + n })));
    await runCron(Date.now());
    const { data } = await adminJson<{ data: ExportEntry[] }>("GET", "/exports?limit=24");
    const exported = data.find((e) => e.hour === hour.hour);
    expect(exported?.manifest?.rows).toBe(3);

    const session = await signIn();
    const res = await session.get("/dashboard/health");
    expect(res.status).toBe(200);
    const html = await res.text();
    const health = await adminJson<{ status: string; dead_letters: { count: number } }>("GET", "/health");
    expect(html).toContain(`<th scope="row">Status</th><td>${health.status}</td>`);
    expect(html).toContain(`<th scope="row">Dead letters</th><td>${health.dead_letters.count}</td>`);
    expect(tableColumn(html, "exports", "status")).toEqual(data.map((e) => e.status));
    expect(tableColumn(html, "exports", "rows")).toEqual(data.map((e) => String(e.manifest?.rows ?? "")));
    expect(html).toContain(`<th scope="row">${hour.hour}</th>`);
  });

  it("is the owner's: a viewer is refused as on the API", async () => {
    const viewer = await adminJson<{ token: string }>("POST", "/operators", { name: "health viewer", role: "viewer" });
    const res = await (await signIn(viewer.token)).get("/dashboard/health");
    expect(res.status).toBe(403);
  });
});
