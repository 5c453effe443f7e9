/**
 * Issue 16: `npm run dev` seeds enough demo usage that /dashboard shows a living picture, and a
 * restart on the same state counts nothing twice. Two real `npm run dev` starts
 * (helpers/dev-process.mjs) in one copy of the project, on one --persist-to state.
 */
import { readFile } from "node:fs/promises";
import { afterAll, expect, it } from "vitest";
import { DEMO_TEAMS } from "../../scripts/lib/demo-usage.mjs";
import { cleanUpDev, type DevProcess, processTree, startDev, survivors } from "./helpers/dev-process.mjs";

const HEALTH_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;
const HOUR_MS = 3_600_000;
/**
 * Demo rows that started this long before a start were all in the ledger by then (a demo
 * request lasts under 2 minutes), so the second start must find them exactly as they were.
 */
const SETTLED_MS = 10 * 60_000;
const SEEDED_LINE = /\[dev\] demo usage: (\d+) records over the last 24 h \(set DEV_DEMO_USAGE=0 to skip\)/;

interface Totals {
  team_id?: string;
  team_name?: string | null;
  model?: string | null;
  hour?: string;
  requests: number;
  cost_micro_usd: number;
}

afterAll(cleanUpDev);

async function waitForLog(dev: DevProcess, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const match = pattern.exec(await readFile(dev.logFile, "utf8"));
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in ${dev.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function adminToken(dev: DevProcess): Promise<string> {
  const token = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(`${dev.app}/.dev.vars`, "utf8"))?.[1];
  if (!token) throw new Error(`no ADMIN_TOKEN in ${dev.app}/.dev.vars`);
  return token.trim();
}

async function usage(dev: DevProcess, query: string): Promise<Totals[]> {
  const response = await fetch(`${dev.url}/admin/usage?${query}&limit=1000`, {
    headers: { authorization: `Bearer ${await adminToken(dev)}` },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { data: Totals[] }).data;
}

/** The demo teams' rows, in a fixed order. */
const demoTeams = (rows: Totals[]) =>
  rows
    .filter((row) => DEMO_TEAMS.some((team) => team.id === row.team_id))
    .sort((a, b) => String(a.team_id).localeCompare(String(b.team_id)));

async function stop(dev: DevProcess): Promise<void> {
  const tree = processTree(dev.pid);
  process.kill(dev.pid, "SIGTERM");
  expect(await survivors(tree, STOP_TIMEOUT_MS), `still running (log: ${dev.logFile})`).toEqual([]);
}

it("seeds a day of demo usage that /admin/usage shows by team, hour and model, and a second start on the same state counts none of it twice", async () => {
  const startedAt = Date.now();
  const first = await startDev(HEALTH_TIMEOUT_MS);
  expect(Number((await waitForLog(first, SEEDED_LINE))[1])).toBeGreaterThan(1000);
  await waitForLog(first, /tensoras-gateway is ready at/);

  const settled = `to=${new Date(startedAt - SETTLED_MS).toISOString()}`;
  const byTeam = demoTeams(await usage(first, `group_by=team&${settled}`));
  expect(byTeam.map((row) => row.team_name).sort()).toEqual(DEMO_TEAMS.map((team) => team.name).sort());
  for (const row of byTeam) {
    expect(row.requests, row.team_name ?? "").toBeGreaterThan(50);
    expect(row.cost_micro_usd, row.team_name ?? "").toBeGreaterThan(0);
  }
  const hours = await usage(first, `group_by=hour&from=${new Date(startedAt - 25 * HOUR_MS).toISOString()}`);
  expect(hours.filter((row) => row.requests > 0).length).toBeGreaterThanOrEqual(24);

  // Every demo model is one the upstream (the mock Tensoras) serves.
  const demoKey = (await readFile(`${first.app}/.wrangler/demo-key.txt`, "utf8")).trim();
  const served = await fetch(`${first.url}/v1/models`, { headers: { authorization: `Bearer ${demoKey}` } });
  const servedIds = ((await served.json()) as { data: { id: string }[] }).data.map((model) => model.id);
  const models = await usage(first, `group_by=model&${settled}`);
  expect(models.length).toBeGreaterThan(5);
  for (const row of models) expect(servedIds).toContain(row.model);
  const everything = demoTeams(await usage(first, "group_by=team"));
  await stop(first);

  const second = await startDev(HEALTH_TIMEOUT_MS, { again: first });
  await waitForLog(second, SEEDED_LINE);
  expect(demoTeams(await usage(second, `group_by=team&${settled}`))).toEqual(byTeam);
  // Since then, only the rows of the minutes in between can have been added.
  const later = demoTeams(await usage(second, "group_by=team"));
  for (const [i, row] of later.entries()) {
    const before = everything[i]?.requests ?? 0;
    expect(row.requests).toBeGreaterThanOrEqual(before);
    expect(row.requests).toBeLessThan(before + 20);
  }
  await stop(second);
}, 240_000);

it("seeds no demo usage when a real TENSORAS_API_KEY is configured: demo prices would price real requests", async () => {
  // No network here: the gateway starts and answers /healthz; nothing is sent upstream.
  const dev = await startDev(HEALTH_TIMEOUT_MS, {
    env: { TENSORAS_API_KEY: `tns-${crypto.randomUUID()}`, TENSORAS_BASE_URL: "http://127.0.0.1:9" },
  });
  await waitForLog(dev, /tensoras-gateway is ready at/);
  expect(await readFile(dev.logFile, "utf8")).not.toMatch(SEEDED_LINE);
  expect(demoTeams(await usage(dev, "group_by=team"))).toEqual([]);
  const prices = await fetch(`${dev.url}/admin/prices`, { headers: { authorization: `Bearer ${await adminToken(dev)}` } });
  expect(((await prices.json()) as { data: unknown[] }).data).toEqual([]);
  await stop(dev);
}, 120_000);
