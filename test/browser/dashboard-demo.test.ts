import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, paintedPixels, shot, startDemoDashboard, stopSeededDashboard } from "./helpers";

/**
 * What a new user of `npm run dev` sees at /dashboard: the demo usage scripts/lib/demo-usage.mjs
 * seeds, in Chromium. Its overview at 1280x800 is the README's screenshot (test-artifacts/
 * dashboard-demo.png, copied to docs/dashboard.png).
 */
let gateway: string;
let browser: Browser;

interface Totals {
  requests: number;
  total_tokens: number;
}

interface ChartJson {
  t: number[];
  columns: Record<string, number[]>;
}

beforeAll(async () => {
  ({ gateway, browser } = await startDemoDashboard());
});

afterAll(stopSeededDashboard);

async function signedIn(): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${gateway}/dashboard/login`);
  await page.getByLabel("Admin token or operator token").fill(ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${gateway}/dashboard`);
  await page.waitForSelector("#chart-outcomes canvas");
  return page;
}

/** The page's window and GET /admin/usage's answer for it. */
async function apiTotals(page: Page, groupBy?: string): Promise<Totals[]> {
  const from = (await page.getAttribute("#window", "data-from")) ?? "";
  const to = (await page.getAttribute("#window", "data-to")) ?? "";
  const query = new URLSearchParams({ from, to, limit: "1000", ...(groupBy ? { group_by: groupBy } : {}) });
  return (await admin<{ data: Totals[] }>(gateway, "GET", `/usage?${query}`)).data;
}

async function chartJson(page: Page): Promise<ChartJson> {
  return JSON.parse((await page.textContent("#chart-data")) ?? "{}") as ChartJson;
}

describe("the dashboard on npm run dev's demo usage", () => {
  it("shows a day of traffic across teams and models, with the demo's bad upstream hour standing out in the error chart", async () => {
    const page = await signedIn();
    for (const chart of ["chart-requests", "chart-tokens", "chart-cost", "chart-errors", "chart-outcomes"]) {
      expect(await paintedPixels(page, chart), chart).toBeGreaterThan(0);
    }
    const [total] = await apiTotals(page);
    expect(total?.requests).toBeGreaterThan(500);
    expect(await page.locator("#totals dd").first().textContent()).toBe(String(total?.requests));
    expect(await page.locator("#by-team tbody tr").count()).toBe((await apiTotals(page, "team")).length);
    expect(await page.locator("#by-team tbody tr").count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator("#by-model tbody tr").count()).toBeGreaterThanOrEqual(3);

    // 24 seeded whole hours and the current one; the window may have moved on by an hour since.
    expect((await chartJson(page)).columns.requests?.filter((n) => n > 0).length).toBeGreaterThanOrEqual(22);
    await page.screenshot({ path: "test-artifacts/dashboard-demo.png" });
    await shot(page, "demo-full");

    // The bad hour (10:00 UTC): the last 7 days hold a whole one whatever the time now (at 10:xx
    // the last 24 hours hold only the seeded start of today's).
    await page.locator("#range-filter").selectOption("7d");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/range=7d/);
    const chart = await chartJson(page);
    // Among hours with traffic enough for a rate to mean something (not a current hour just begun).
    const failed = (chart.columns.failed_pct ?? []).map((pct, i) => ((chart.columns.requests?.[i] ?? 0) >= 20 ? pct : 0));
    const worst = failed.indexOf(Math.max(...failed));
    expect(failed[worst]).toBeGreaterThan(30);
    expect(new Date((chart.t[worst] ?? 0) * 1000).getUTCHours()).toBe(10);
  });

  it("shows a custom range picked in the form: the From and To days, UTC, To inclusive", async () => {
    const page = await signedIn();
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel("From (UTC)").fill(yesterday);
    await page.getByLabel("To (UTC, inclusive)").fill(today);
    // dashboard.js turns the range to "custom" once a day is picked.
    expect(await page.locator("#range-filter").inputValue()).toBe("custom");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/range=custom/);
    expect(await page.getAttribute("#window", "data-from")).toBe(`${yesterday}T00:00:00.000Z`);
    expect(await page.getAttribute("#window", "data-to")).toBe(new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString());
    const [total] = await apiTotals(page);
    expect(await page.locator("#totals dd").first().textContent()).toBe(String(total?.requests));
    expect((await chartJson(page)).t).toHaveLength(48);
    await shot(page, "demo-custom-range");
  });
});
