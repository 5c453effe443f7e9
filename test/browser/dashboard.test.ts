import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  ARTIFACTS,
  chat,
  IMG_NAME,
  paintedPixels,
  SCRIPT_NAME,
  type SeededDashboard,
  shot,
  startSeededDashboard,
  stopSeededDashboard,
} from "./helpers";

/**
 * The dashboard as a person uses it: Chromium against `wrangler dev` with the mock Tensoras,
 * a ledger seeded by real requests through the gateway (test/browser/helpers.ts).
 */
let gateway: string;
let browser: Browser;
let keys: SeededDashboard["keys"];
const dialogs: string[] = [];
const cspErrors: string[] = [];

beforeAll(async () => {
  ({ gateway, browser, keys } = await startSeededDashboard());
});

afterAll(stopSeededDashboard);

async function newPage(width = 1280, height = 800): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspErrors.push(message.text());
  });
  return page;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${gateway}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/dashboard/login");
  await shot(page, "sign-in");
  await page.getByLabel("Admin token or operator token").fill(ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${gateway}/dashboard`);
}

describe("the dashboard in Chromium", () => {
  it("signs in, shows charts holding data, filters by team, revokes a key, downloads the CSV and signs out", async () => {
    const page = await newPage();
    await signIn(page);
    await page.waitForSelector("#chart-requests canvas");
    expect(await paintedPixels(page, "chart-requests")).toBeGreaterThan(0);
    expect(await paintedPixels(page, "chart-tokens")).toBeGreaterThan(0);
    expect(await page.textContent("#totals")).toContain("12");
    await shot(page, "overview");

    // A team named <script>…</script> is text: no dialog, the name shown literally.
    expect(await page.locator("#by-team").textContent()).toContain(SCRIPT_NAME);
    // A key named "><img onerror=…> is text too: no <img> in the page, the name shown literally.
    expect(await page.locator("#top-requests").textContent()).toContain(IMG_NAME);
    expect(await page.locator("main img").count()).toBe(0);
    expect(dialogs).toEqual([]);

    await page.locator("#team-filter").selectOption({ label: "Browser team" });
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/team_id=/);
    expect(await page.locator("#totals dd").first().textContent()).toBe("8");
    await shot(page, "overview-team");

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#csv-link").click()]);
    const csv = await readFile((await download.path()) ?? "", "utf8");
    const href = new URL((await page.locator("#csv-link").getAttribute("href")) ?? "", gateway);
    const api = await fetch(
      `${gateway}/admin/usage?${new URLSearchParams({ from: href.searchParams.get("from") ?? "", to: href.searchParams.get("to") ?? "", team_id: href.searchParams.get("team_id") ?? "", group_by: "team,model", format: "csv" })}`,
      { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    );
    expect(csv).toBe(await api.text());
    await writeFile(join(ARTIFACTS, "dashboard-usage.csv"), csv);

    await page.locator("#top-requests").getByRole("link", { name: "checkout service" }).click();
    await page.waitForSelector("#chart-requests canvas");
    expect(await paintedPixels(page, "chart-requests")).toBeGreaterThan(0);
    await shot(page, "key");
    await page.getByRole("link", { name: "Revoke this key…" }).click();
    await shot(page, "revoke-confirm");
    await page.getByRole("button", { name: "Revoke the key" }).click();
    expect(await page.textContent("#key-status")).toBe("revoked");
    expect((await chat(gateway, keys.a1.key, "llama-3.3-70b")).status).toBe(401);

    await page.getByRole("link", { name: "Ledger health" }).click();
    await shot(page, "health");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${gateway}/dashboard/login`);
    await page.goto(`${gateway}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    expect(cspErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it("stays readable on a phone-sized viewport", async () => {
    const page = await newPage(390, 844);
    await signIn(page);
    await page.waitForSelector("#chart-requests canvas");
    // A string: the root tsconfig has no DOM lib (the code runs in workerd).
    const overflow = Number(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"));
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "overview-phone");
  });
});
