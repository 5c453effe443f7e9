import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { seedDemoUsage } from "../../scripts/lib/demo-usage.mjs";
import { localD1 } from "../../scripts/lib/local-d1.mjs";
import { cleanUpGateways, prepareGatewayState, startGateway, startMockTensoras } from "../e2e/helpers/gateway-process.mjs";

/**
 * What every browser test starts from: the mock Tensoras, a `wrangler dev` of its own (a
 * snapshot of the worker, so edits during a run do not reload it), a ledger seeded by real
 * requests through the gateway, and Debian's Chromium. Screenshots go to test-artifacts/.
 */
export const ARTIFACTS = join(process.cwd(), "test-artifacts");
export const ADMIN_TOKEN = `admin-${crypto.randomUUID()}`;
const UPSTREAM_KEY = `tns-${crypto.randomUUID()}`;
export const SCRIPT_NAME = "<script>alert(1)</script>";
/** A name that would break out of an attribute into an element with a handler, were it not escaped. */
export const IMG_NAME = '"><img src=x onerror=alert(2)>';
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface SeededKey {
  id: string;
  key: string;
}

export interface SeededDashboard {
  gateway: string;
  browser: Browser;
  teams: { a: string; b: string };
  /** a1, a2 in "Browser team"; b1 (named IMG_NAME) in the team named SCRIPT_NAME. */
  keys: Record<"a1" | "a2" | "b1", SeededKey>;
}

let closeMock: (() => Promise<void>) | undefined;
let browser: Browser | undefined;

export async function admin<T>(gateway: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gateway}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function chat(gateway: string, key: string, model: string): Promise<Response> {
  return fetch(`${gateway}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello there" }] }),
  });
}

/** Two teams (one named like a script tag), three keys, a dozen requests; waits until the ledger holds them all. */
async function seedLedger(gateway: string): Promise<Pick<SeededDashboard, "teams" | "keys">> {
  const teamA = await admin<{ id: string }>(gateway, "POST", "/teams", { name: "Browser team" });
  const teamB = await admin<{ id: string }>(gateway, "POST", "/teams", { name: SCRIPT_NAME });
  const keys = {
    a1: await admin<SeededKey>(gateway, "POST", `/teams/${teamA.id}/keys`, { name: "checkout service" }),
    a2: await admin<SeededKey>(gateway, "POST", `/teams/${teamA.id}/keys`, { name: "search service" }),
    b1: await admin<SeededKey>(gateway, "POST", `/teams/${teamB.id}/keys`, { name: IMG_NAME }),
  };
  const plan: [keyof typeof keys, string][] = [];
  for (let i = 0; i < 4; i++) plan.push(["a1", "llama-3.3-70b"], ["a2", "qwen-3-32b"], ["b1", "llama-3.3-70b"]);
  for (const [name, model] of plan) {
    const res = await chat(gateway, keys[name].key, model);
    expect(res.status, await res.text()).toBe(200);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { data } = await admin<{ data: { requests: number }[] }>(gateway, "GET", "/usage");
    if ((data[0]?.requests ?? 0) >= plan.length) return { teams: { a: teamA.id, b: teamB.id }, keys };
    if (Date.now() > deadline) throw new Error("the ledger never recorded the seeded requests");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The mock, a gateway on a fresh state (`prepare` may write to it first) and Chromium. */
async function startRig(
  prepare?: (state: { app: string; persistDir: string }) => Promise<void>,
): Promise<{ gateway: string; browser: Browser }> {
  await mkdir(ARTIFACTS, { recursive: true });
  const mock = await startMockTensoras({ apiKey: UPSTREAM_KEY });
  closeMock = mock.close;
  const state = await prepareGatewayState();
  await prepare?.(state);
  const gw = await startGateway(state, { TENSORAS_BASE_URL: mock.url, TENSORAS_API_KEY: UPSTREAM_KEY, ADMIN_TOKEN });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  return { gateway: gw.url, browser };
}

/** For beforeAll: the whole rig, its ledger seeded by real requests. */
export async function startSeededDashboard(): Promise<SeededDashboard> {
  const rig = await startRig();
  return { ...rig, ...(await seedLedger(rig.gateway)) };
}

/** For beforeAll: the whole rig on the demo usage `npm run dev` seeds (scripts/lib/demo-usage.mjs). */
export async function startDemoDashboard(): Promise<{ gateway: string; browser: Browser; records: number }> {
  let records = 0;
  const rig = await startRig(async function seedDemo(state) {
    ({ records } = await seedDemoUsage(localD1(state.app, ["--persist-to", state.persistDir])));
  });
  return { ...rig, records };
}

/** For afterAll, pass or fail: no Chromium, wrangler or mock outlives the file. */
export async function stopSeededDashboard(): Promise<void> {
  await browser?.close();
  await cleanUpGateways();
  await closeMock?.();
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
}

/** Pixels a chart's canvases hold that are not transparent: uPlot drew something. */
export function paintedPixels(page: Page, chartId: string): Promise<number> {
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
