import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanUpGateways, prepareGatewayState, startGateway, startMockTensoras } from "../e2e/helpers/gateway-process.mjs";

/**
 * The dashboard as a person uses it: Chromium against `wrangler dev` with the mock Tensoras,
 * a ledger seeded by real requests through the gateway. Screenshots go to test-artifacts/.
 */
const ARTIFACTS = join(process.cwd(), "test-artifacts");
const ADMIN_TOKEN = `admin-${crypto.randomUUID()}`;
const UPSTREAM_KEY = `tns-${crypto.randomUUID()}`;
const SCRIPT_NAME = "<script>alert(1)</script>";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let gateway: string;
let browser: Browser;
let closeMock: () => Promise<void>;
const keys: Record<string, { id: string; key: string }> = {};
const dialogs: string[] = [];
const cspErrors: string[] = [];

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gateway}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function chat(key: string, model: string): Promise<Response> {
  return fetch(`${gateway}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello there" }] }),
  });
}

/** Two teams (one named like a script tag), three keys, a dozen requests; waits until the ledger holds them all. */
async function seedLedger(): Promise<void> {
  const teamA = await admin<{ id: string }>("POST", "/teams", { name: "Browser team" });
  const teamB = await admin<{ id: string }>("POST", "/teams", { name: SCRIPT_NAME });
  keys.a1 = await admin("POST", `/teams/${teamA.id}/keys`, { name: "checkout service" });
  keys.a2 = await admin("POST", `/teams/${teamA.id}/keys`, { name: "search service" });
  keys.b1 = await admin("POST", `/teams/${teamB.id}/keys`, { name: `${SCRIPT_NAME} key` });
  const plan: [string, string][] = [];
  for (let i = 0; i < 4; i++) plan.push(["a1", "llama-3.3-70b"], ["a2", "qwen-3-32b"], ["b1", "llama-3.3-70b"]);
  for (const [name, model] of plan) {
    const res = await chat(keys[name]?.key ?? "", model);
    expect(res.status, await res.text()).toBe(200);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { data } = await admin<{ data: { requests: number }[] }>("GET", "/usage");
    if ((data[0]?.requests ?? 0) >= plan.length) return;
    if (Date.now() > deadline) throw new Error("the ledger never recorded the seeded requests");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

/** Pixels a chart's canvases hold that are not transparent: uPlot drew something. */
function paintedPixels(page: Page, chartId: string): Promise<number> {
  return page.$eval(`#${chartId}`, (el) => {
    let painted = 0;
    for (const canvas of el.querySelectorAll("canvas")) {
      const ctx = canvas.getContext("2d");
      if (!ctx || canvas.width === 0) continue;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++;
    }
    return painted;
  });
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const mock = await startMockTensoras({ apiKey: UPSTREAM_KEY });
  closeMock = mock.close;
  const state = await prepareGatewayState();
  const gw = await startGateway(state, { TENSORAS_BASE_URL: mock.url, TENSORAS_API_KEY: UPSTREAM_KEY, ADMIN_TOKEN });
  gateway = gw.url;
  await seedLedger();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
});

afterAll(async () => {
  await browser?.close();
  await cleanUpGateways();
  await closeMock?.();
});

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
    expect(dialogs).toEqual([]);

    await page.getByLabel("Team").selectOption({ label: "Browser team" });
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
    expect((await chat(keys.a1?.key ?? "", "llama-3.3-70b")).status).toBe(401);

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
