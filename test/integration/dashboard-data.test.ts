import { describe, expect, it } from "vitest";
import { adminCall, adminJson, insertUsageEvents } from "../helpers/admin";
import { chartOf, getPage, signIn, tableColumn, windowOf } from "../helpers/dashboard";
import { chat, mockUpstream, USAGE } from "../helpers/gateway";
import { usageRecord } from "../helpers/usage-record";

const SCRIPT_NAME = "<script>alert(1)</script>";
const IMG_NAME = '"><img src=x onerror=alert(1)>';

interface Totals {
  team_id?: string;
  model?: string | null;
  requests: number;
  total_tokens: number;
  prompt_tokens: number;
  cost_micro_usd: number;
}

async function team(name: string): Promise<string> {
  return (await adminJson<{ id: string }>("POST", "/teams", { name })).id;
}

async function key(teamId: string, name: string): Promise<{ id: string; key: string }> {
  return adminJson<{ id: string; key: string }>("POST", `/teams/${teamId}/keys`, { name });
}

/** Rows in the last 24 hours for two teams (one with each hostile name), three models. */
let seeds = 0;

async function seed() {
  const n = ++seeds;
  const teamA = await team(`${SCRIPT_NAME} ${n}`);
  const teamB = await team(`${IMG_NAME} ${n}`);
  const keyA = await key(teamA, `${SCRIPT_NAME} key`);
  const keyB = await key(teamB, `${IMG_NAME} key`);
  const now = Date.now();
  const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
    usageRecord({
      team_id: i % 2 ? teamA : teamB,
      key_id: i % 2 ? keyA.id : keyB.id,
      model: ["llama-3.3-70b", "qwen-3-32b", SCRIPT_NAME][i % 3] ?? null,
      started_at: new Date(now - (i * 2 + 1) * 3600_000).toISOString(),
      prompt_tokens: 100 + i,
      completion_tokens: 10 * i,
      total_tokens: 100 + 11 * i,
      cost_micro_usd: 1000 * (i + 1),
    }),
  );
  await insertUsageEvents(rows);
  return { teamA, teamB, keyA, keyB };
}

describe("dashboard pages over the admin API", () => {
  it("renders team, key and model names holding <script> and an attribute break-out as text, never as markup", async () => {
    const { teamA, keyA } = await seed();
    const session = await signIn();
    const pages = [
      await (await session.get("/dashboard")).text(),
      await (await session.get(`/dashboard/teams/${teamA}`)).text(),
      await (await session.get(`/dashboard/keys/${keyA.id}`)).text(),
    ];
    for (const html of pages) {
      expect(html).not.toContain("<script>alert(1)");
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
    expect(pages[0]).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows the overview's totals, by-team and by-model figures exactly as GET /admin/usage answers for the same window", async () => {
    await seed();
    const session = await signIn();
    for (const range of ["24h", "7d", "30d"]) {
      const html = await (await session.get(`/dashboard?range=${range}`)).text();
      const { from, to } = windowOf(html);
      const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=1000`;
      const [total] = (await adminJson<{ data: Totals[] }>("GET", `/usage?${q}`)).data;
      expect(html).toContain(`<dt>Requests</dt><dd>${total?.requests ?? 0}</dd>`);
      expect(html).toContain(`<dt>Total tokens</dt><dd>${total?.total_tokens ?? 0}</dd>`);
      const byTeam = (await adminJson<{ data: Totals[] }>("GET", `/usage?${q}&group_by=team`)).data;
      expect(tableColumn(html, "by-team", "requests")).toEqual(byTeam.map((r) => String(r.requests)));
      expect(tableColumn(html, "by-team", "total_tokens")).toEqual(byTeam.map((r) => String(r.total_tokens)));
      const byModel = (await adminJson<{ data: Totals[] }>("GET", `/usage?${q}&group_by=model`)).data;
      expect(tableColumn(html, "by-model", "prompt_tokens")).toEqual(byModel.map((r) => String(r.prompt_tokens)));
      const chart = chartOf(html);
      expect((chart.columns.requests ?? []).reduce((a, b) => a + b, 0)).toBe(total?.requests ?? 0);
    }
  });

  it("filters the overview by team with the API's team_id filter", async () => {
    const { teamA } = await seed();
    const session = await signIn();
    const html = await (await session.get(`/dashboard?range=24h&team_id=${teamA}`)).text();
    const { from, to } = windowOf(html);
    const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&team_id=${teamA}`;
    const [total] = (await adminJson<{ data: Totals[] }>("GET", `/usage?${q}`)).data;
    expect(total?.requests).toBe(4);
    expect(html).toContain(`<dt>Requests</dt><dd>4</dd>`);
    expect(tableColumn(html, "by-team", "requests")).toEqual(["4"]);
  });

  it("downloads the overview's CSV byte for byte as GET /admin/usage?format=csv writes it", async () => {
    await seed();
    const session = await signIn();
    const html = await (await session.get("/dashboard?range=7d")).text();
    const href = /id="csv-link"|href="(\/dashboard\/usage\.csv\?[^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(href).toContain("/dashboard/usage.csv?");
    const res = await session.get(href);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const { from, to } = windowOf(html);
    const api = await adminCall(
      "GET",
      `/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&group_by=team,model&format=csv`,
    );
    const csv = await res.text();
    expect(csv).toBe(await api.text());
    expect(csv.split("\r\n").length).toBeGreaterThan(3);
  });

  it("revokes a key through the confirmation page, after which the gateway refuses the key", async () => {
    const { keyA } = await seed();
    mockUpstream(
      () =>
        new Response(JSON.stringify({ id: "x", object: "chat.completion", choices: [], usage: USAGE }), {
          headers: { "content-type": "application/json" },
        }),
    );
    expect((await chat(keyA.key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    const session = await signIn();
    const confirm = await (await session.get(`/dashboard/keys/${keyA.id}/revoke`)).text();
    expect(confirm).toContain('id="confirm-revoke"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(confirm)?.[1] ?? "";
    expect((await session.post(`/dashboard/keys/${keyA.id}/revoke`, {})).status).toBe(403);
    expect((await adminJson<{ status: string }>("GET", `/keys/${keyA.id}`)).status).toBe("active");
    const res = await session.post(`/dashboard/keys/${keyA.id}/revoke`, { csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/keys/${keyA.id}`);
    expect(await (await session.get(`/dashboard/keys/${keyA.id}`)).text()).toContain('<strong id="key-status">revoked</strong>');
    const refused = await chat(keyA.key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "hi" }] });
    expect(refused.status).toBe(401);
  });

  it("rotates a key and shows the new secret once, which then authenticates", async () => {
    const { keyB } = await seed();
    const session = await signIn();
    const res = await session.post(`/dashboard/keys/${keyB.id}/rotate`, { csrf: await session.csrf() });
    expect(res.status).toBe(200);
    const html = await res.text();
    const secret = /id="new-secret" readonly="" value="([^"]+)"/.exec(html)?.[1] ?? /value="(tgw_[^"]+)"/.exec(html)?.[1] ?? "";
    expect(secret).toMatch(/^tgw_/);
    mockUpstream(
      () =>
        new Response(JSON.stringify({ id: "x", object: "chat.completion", choices: [], usage: USAGE }), {
          headers: { "content-type": "application/json" },
        }),
    );
    expect((await chat(secret, { model: "llama-3.3-70b", messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    expect(await (await session.get(`/dashboard/keys/${keyB.id}`)).text()).not.toContain(secret);
  });

  it("shows a team's and a key's budget with what is left this period: the limit less what is spent and reserved", async () => {
    const { teamA, keyA } = await seed();
    const model = `dash-budget-${crypto.randomUUID()}`;
    await adminJson("PUT", `/prices/${model}`, { input_usd_per_mtok: "1", output_usd_per_mtok: "1", max_output_tokens: 100 });
    await adminJson("PATCH", `/teams/${teamA}`, { budget: { limit_usd: "1.00", period: "month" }, limits: { requests_per_minute: 60 } });
    await adminJson("PATCH", `/keys/${keyA.id}`, { budget: { limit_usd: "0.50", period: "day" } });
    mockUpstream(() =>
      Response.json({
        id: "x",
        object: "chat.completion",
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      }),
    );
    expect((await chat(keyA.key, { model, max_tokens: 10, messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while ((await adminJson<{ budget: { spent_usd: string } }>("GET", `/teams/${teamA}`)).budget.spent_usd !== "0.000007") {
      if (Date.now() > deadline) throw new Error("the team's spend never reached 7 micro-USD");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const session = await signIn();
    const team = await (await session.get(`/dashboard/teams/${teamA}`)).text();
    expect(team).toContain("<dt>Budget</dt><dd>$1.00 per month</dd>");
    expect(team).toContain("<dt>Spent this period</dt><dd>$0.000007</dd>");
    expect(team).toContain("<dt>Left this period</dt><dd>$0.999993</dd>");
    expect(team).toContain("<dt>Requests per minute</dt><dd>60</dd>");
    const key = await (await session.get(`/dashboard/keys/${keyA.id}`)).text();
    expect(key).toContain("<dt>Budget</dt><dd>$0.50 per day</dd>");
    expect(key).toContain("<dt>Left this period</dt><dd>$0.499993</dd>");
  });

  it("offers a team's and a key's page over 24 hours, 7 days and 30 days, with the team's keys and the key's charts as GET /admin/usage writes CSV", async () => {
    const { teamA, keyA } = await seed();
    const session = await signIn();
    for (const range of ["24h", "7d", "30d"]) {
      const team = await (await session.get(`/dashboard/teams/${teamA}?range=${range}`)).text();
      expect(team).toContain(`<a href="/dashboard/teams/${teamA}?range=${range}" aria-current="page">`);
      const href = /href="([^"]+)" download="team-keys.csv"/.exec(team)?.[1]?.replaceAll("&amp;", "&") ?? "";
      const link = new URL(href, "https://gateway.test");
      const csv = await session.get(href);
      expect(csv.headers.get("content-disposition")).toContain("team-keys.csv");
      const q = `from=${link.searchParams.get("from")}&to=${link.searchParams.get("to")}&team_id=${teamA}&group_by=key&format=csv`;
      const body = await csv.text();
      expect(body).toBe(await (await adminCall("GET", `/usage?${q}`)).text());
      expect(body.split("\r\n")[0]).toMatch(/^key_id,key_name,requests/);
      const key = await (await session.get(`/dashboard/keys/${keyA.id}?range=${range}`)).text();
      expect(key).toContain(`<a href="/dashboard/keys/${keyA.id}?range=${range}" aria-current="page">`);
      expect(key.match(/aria-current="page"/g)).toHaveLength(1);
      // The key's charts as CSV: its own rows only, per the page's bucket and outcome.
      const keyHref = /href="([^"]+)" download="usage-over-time.csv"/.exec(key)?.[1]?.replaceAll("&amp;", "&") ?? "";
      const keyLink = new URL(keyHref, "https://gateway.test");
      expect(keyLink.searchParams.get("key_id")).toBe(keyA.id);
      const bucket = chartOf(key).bucket;
      const keyQ = `from=${keyLink.searchParams.get("from")}&to=${keyLink.searchParams.get("to")}&key_id=${keyA.id}&group_by=${bucket},outcome&format=csv`;
      const keyCsv = await (await session.get(keyHref)).text();
      expect(keyCsv).toBe(await (await adminCall("GET", `/usage?${keyQ}`)).text());
      expect(keyCsv.split("\r\n").filter((line) => line !== "").length).toBeGreaterThan(1);
    }
  });

  it("keeps a viewer read-only and shows a team_admin only its own teams", async () => {
    const { teamA, teamB, keyA, keyB } = await seed();
    const viewer = await adminJson<{ token: string }>("POST", "/operators", { name: "v", role: "viewer" });
    const v = await signIn(viewer.token);
    const keyPage = await v.get(`/dashboard/keys/${keyA.id}`);
    expect(keyPage.status).toBe(403);
    expect((await v.post(`/dashboard/keys/${keyA.id}/revoke`, { csrf: await v.csrf() })).status).toBe(403);
    expect((await adminJson<{ status: string }>("GET", `/keys/${keyA.id}`)).status).toBe("active");
    expect((await v.get("/dashboard")).status).toBe(200);

    const admin = await adminJson<{ token: string }>("POST", "/operators", { name: "ta", role: "team_admin", team_ids: [teamA] });
    const t = await signIn(admin.token);
    const overview = await (await t.get(`/dashboard?team_id=${teamB}`)).text();
    expect(tableColumn(overview, "by-team", "requests")).toEqual(["4"]);
    expect(overview).not.toContain("&lt;img");
    expect((await t.get(`/dashboard/teams/${teamB}`)).status).toBe(404);
    expect((await t.get(`/dashboard/keys/${keyB.id}`)).status).toBe(404);
    expect((await t.get(`/dashboard/teams/${teamA}`)).status).toBe(200);
    expect((await t.get("/dashboard/health")).status).toBe(403);
    // The CSV downloads too: another team's id in the link still gives the operator's own team.
    const html = await (await t.get("/dashboard")).text();
    const { from, to } = windowOf(html);
    for (const table of ["", "&table=over_time"]) {
      const csv = await (await t.get(`/dashboard/usage.csv?from=${from}&to=${to}&team_id=${teamB}${table}`)).text();
      const groupBy = table ? "hour,outcome" : "team,model";
      const own = await adminCall("GET", `/usage?from=${from}&to=${to}&team_id=${teamA}&group_by=${groupBy}&format=csv`);
      expect(csv).toBe(await own.text());
      expect(csv).not.toContain(teamB);
    }
    // A team_admin of two teams downloads a key page's CSV for a key of its second team.
    const both = await adminJson<{ token: string }>("POST", "/operators", { name: "ta2", role: "team_admin", team_ids: [teamA, teamB] });
    const t2 = await signIn(both.token);
    const secondTeamKey = await (await t2.get(`/dashboard/keys/${keyB.id}`)).text();
    const keyHref = /href="([^"]+)" download="usage-over-time.csv"/.exec(secondTeamKey)?.[1]?.replaceAll("&amp;", "&") ?? "";
    const keyCsv = await (await t2.get(keyHref)).text();
    const keyWindow = new URL(keyHref, "https://gateway.test").searchParams;
    const ownKey = await adminCall(
      "GET",
      `/usage?from=${keyWindow.get("from")}&to=${keyWindow.get("to")}&key_id=${keyB.id}&group_by=hour,outcome&format=csv`,
    );
    expect(keyCsv).toBe(await ownKey.text());
    expect(keyCsv.split("\r\n").filter((line) => line !== "").length).toBeGreaterThan(1);
    // Another team's key in the link is refused by the API's own check, as on GET /admin/usage.
    const foreign = await t.get(`/dashboard/usage.csv?from=${from}&to=${to}&key_id=${keyB.id}&table=over_time`);
    expect(foreign.status).toBe((await adminCall("GET", `/usage?key_id=${keyB.id}`, undefined, admin.token)).status);
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(await foreign.text()).not.toContain(keyB.id);
    expect((await getPage("/dashboard/health")).status).toBe(303);
  });
});
