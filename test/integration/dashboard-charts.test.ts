import { describe, expect, it } from "vitest";
import type { Outcome } from "../../src/metering/usage-record";
import { adminCall, adminJson, insertUsageEvents } from "../helpers/admin";
import { type ChartJson, chartOf, signIn, tableColumn, windowOf } from "../helpers/dashboard";
import { usageRecord } from "../helpers/usage-record";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface Row {
  hour?: string;
  day?: string;
  outcome?: Outcome;
  requests: number;
  total_tokens: number;
  cost_micro_usd: number;
}

let teams = 0;

/** A team of its own (tests share one D1) with one key. */
async function team(): Promise<{ teamId: string; keyId: string }> {
  const t = await adminJson<{ id: string }>("POST", "/teams", { name: `charts ${++teams}` });
  const k = await adminJson<{ id: string }>("POST", `/teams/${t.id}/keys`, { name: "charts key" });
  return { teamId: t.id, keyId: k.id };
}

async function insert(ids: { teamId: string; keyId: string }, rows: [atMs: number, outcome: Outcome][]): Promise<void> {
  await insertUsageEvents(
    rows.map(([at, outcome], i) =>
      usageRecord({
        team_id: ids.teamId,
        key_id: ids.keyId,
        started_at: new Date(at).toISOString(),
        outcome,
        status: outcome === "completed" ? 200 : outcome === "rejected" ? 429 : 502,
        prompt_tokens: 10 + i,
        completion_tokens: i,
        total_tokens: 10 + 2 * i,
        cost_micro_usd: 1000 + i,
      }),
    ),
  );
}

/** GET /admin/usage for the page's window, as JSON rows. */
async function api(window: { from: string; to: string }, extra: string): Promise<Row[]> {
  const q = `from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}&limit=1000&${extra}`;
  return (await adminJson<{ data: Row[] }>("GET", `/usage?${q}`)).data;
}

/** The API's rows summed per bucket start (seconds), for one field or one outcome's requests; buckets of 0 left out. */
function perBucket(rows: Row[], pick: (row: Row) => number): Map<number, number> {
  const out = new Map<number, number>();
  for (const row of rows) {
    const at = Date.parse(row.hour ?? `${row.day}T00:00:00Z`) / 1000;
    out.set(at, (out.get(at) ?? 0) + pick(row));
  }
  return new Map([...out].filter(([, v]) => v !== 0));
}

function nonZero(chart: ChartJson, column: string): Map<number, number> {
  const values = chart.columns[column] ?? [];
  return new Map(chart.t.map((t, i) => [t, values[i] ?? 0] as [number, number]).filter(([, v]) => v !== 0));
}

describe("the dashboard's charts over time", () => {
  it("draws requests, tokens, cost, outcomes and the error rate per hour exactly as GET /admin/usage?group_by=hour,outcome answers", async () => {
    const ids = await team();
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const bad = hour - 5 * HOUR + 60_000;
    await insert(ids, [
      [hour - 10 * HOUR + 1000, "completed"],
      [hour - 10 * HOUR + 2000, "completed"],
      [bad, "completed"],
      [bad + 1, "upstream_error"],
      [bad + 2, "upstream_unreachable"],
      [bad + 3, "rejected"],
      [hour - 2 * HOUR, "client_aborted"],
      [hour - 2 * HOUR + 5, "interrupted"],
    ]);
    const session = await signIn();
    const html = await (await session.get(`/dashboard?range=24h&team_id=${ids.teamId}`)).text();
    const chart = chartOf(html);
    expect(chart.bucket).toBe("hour");
    expect(chart.t).toHaveLength(24);
    expect(chart.t.every((t, i) => i === 0 || t - (chart.t[i - 1] ?? 0) === 3600)).toBe(true);

    const rows = await api(windowOf(html), `team_id=${ids.teamId}&group_by=hour,outcome`);
    expect(nonZero(chart, "requests")).toEqual(perBucket(rows, (r) => r.requests));
    expect(nonZero(chart, "tokens")).toEqual(perBucket(rows, (r) => r.total_tokens));
    expect(nonZero(chart, "cost_usd")).toEqual(new Map([...perBucket(rows, (r) => r.cost_micro_usd)].map(([t, v]) => [t, v / 1e6])));
    for (const outcome of ["completed", "upstream_error", "upstream_unreachable", "rejected", "client_aborted", "interrupted"] as const) {
      expect(nonZero(chart, outcome), outcome).toEqual(perBucket(rows, (r) => (r.outcome === outcome ? r.requests : 0)));
    }
    // The bad hour: 4 requests, 2 failed upstream (error, unreachable), 1 rejected by the gateway.
    const badBucket = chart.t.indexOf(Math.floor(bad / HOUR) * 3600);
    expect(chart.columns.failed_pct?.[badBucket]).toBe(50);
    expect(chart.columns.rejected_pct?.[badBucket]).toBe(25);
    // Two hours ago: a client abort is not a failure, an interrupted request is.
    const recent = chart.t.indexOf(Math.floor((hour - 2 * HOUR) / HOUR) * 3600);
    expect(chart.columns.failed_pct?.[recent]).toBe(50);
    expect(chart.columns.failed_pct?.filter((v) => v !== 0)).toHaveLength(2);

    // Each chart's text alternative holds the same numbers.
    expect(tableColumn(html, "chart-errors-table", "failed_pct")).toEqual(chart.columns.failed_pct?.map(String));
    expect(tableColumn(html, "chart-outcomes-table", "upstream_error")).toEqual(chart.columns.upstream_error?.map(String));
    expect(tableColumn(html, "chart-requests-table", "requests")).toEqual(chart.columns.requests?.map(String));
  });

  it("splits requests by model and cost by team over time: the six largest a line each, the rest one line, adding up to each bucket", async () => {
    const ids = await team();
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const models = Array.from({ length: 8 }, (_, m) => `split-model-${m}`);
    // Model m has 8 - m requests, spread over two hours.
    const records = models.flatMap((model, m) =>
      Array.from({ length: 8 - m }, (_, i) =>
        usageRecord({
          team_id: ids.teamId,
          key_id: ids.keyId,
          model,
          started_at: new Date(hour - (1 + (i % 2)) * HOUR + m * 1000 + i).toISOString(),
          cost_micro_usd: 10 * (m + 1),
        }),
      ),
    );
    await insertUsageEvents(records);
    const session = await signIn();
    const chart = chartOf(await (await session.get(`/dashboard?range=24h&team_id=${ids.teamId}`)).text());
    const lines = chart.lines.requests_by_model ?? [];
    expect(lines.map((l) => l.label)).toEqual([...models.slice(0, 6), "2 other models"]);
    const sumOf = (of: ChartJson, keys: string[], i: number) => keys.reduce((a, k) => a + (of.columns[k]?.[i] ?? 0), 0);
    for (const [i] of chart.t.entries())
      expect(
        sumOf(
          chart,
          lines.map((l) => l.key),
          i,
        ),
      ).toBe(chart.columns.requests?.[i]);
    const total = (key: string) => (chart.columns[key] ?? []).reduce((a, b) => a + b, 0);
    expect(lines.map((l) => total(l.key))).toEqual([8, 7, 6, 5, 4, 3, 3]);

    const all = chartOf(await (await session.get("/dashboard?range=24h")).text());
    const teamLines = (all.lines.cost_by_team ?? []).map((l) => l.key);
    expect(teamLines.length).toBeGreaterThan(0);
    for (const [i] of all.t.entries()) expect(sumOf(all, teamLines, i)).toBeCloseTo(all.columns.cost_usd?.[i] ?? 0, 9);
  });

  it("draws a seventh group by name rather than as one other, and says why a split chart is not drawn: no usage, or too many groups for its points", async () => {
    const session = await signIn();
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const seven = await team();
    const models = Array.from({ length: 7 }, (_, m) => `seven-model-${m}`);
    await insertUsageEvents(
      models.map((model, m) =>
        usageRecord({ team_id: seven.teamId, key_id: seven.keyId, model, started_at: new Date(hour - HOUR + m).toISOString() }),
      ),
    );
    const chart = chartOf(await (await session.get(`/dashboard?range=24h&team_id=${seven.teamId}`)).text());
    expect((chart.lines.requests_by_model ?? []).map((l) => l.label).sort()).toEqual(models);

    const idle = await team();
    const empty = await (await session.get(`/dashboard?range=24h&team_id=${idle.teamId}`)).text();
    expect(empty).toContain('<figcaption>Requests per hour by model</figcaption><p class="not-drawn">No usage in this range.</p>');

    // 60 models × 168 hourly points is past the 10,000 rows a split chart may read.
    const many = await team();
    await insertUsageEvents(
      Array.from({ length: 60 }, (_, m) =>
        usageRecord({
          team_id: many.teamId,
          key_id: many.keyId,
          model: `many-model-${m}`,
          started_at: new Date(hour - HOUR + m).toISOString(),
        }),
      ),
    );
    const week = await (await session.get(`/dashboard?range=7d&team_id=${many.teamId}`)).text();
    expect(week).toContain("Too many models to draw over this range; the table by model below has the figures.");
    expect(chartOf(week).columns.requests?.reduce((a, b) => a + b, 0)).toBe(60);
    const day = chartOf(await (await session.get(`/dashboard?range=24h&team_id=${many.teamId}`)).text());
    expect(day.lines.requests_by_model).toHaveLength(7);
  });

  it("has hourly points for 7 days and daily points on UTC days for 30 days, each adding up to the page's totals", async () => {
    const ids = await team();
    const now = Date.now();
    await insert(ids, [
      [now - 3 * DAY, "completed"],
      [now - 6 * DAY, "upstream_error"],
      [now - 20 * DAY, "completed"],
      [now - HOUR, "completed"],
    ]);
    const session = await signIn();
    const week = await (await session.get(`/dashboard?range=7d&team_id=${ids.teamId}`)).text();
    expect(chartOf(week).t).toHaveLength(168);
    expect(chartOf(week).columns.requests?.reduce((a, b) => a + b, 0)).toBe(3);
    expect(week).toContain("<dt>Requests</dt><dd>3</dd>");

    const month = await (await session.get(`/dashboard?range=30d&team_id=${ids.teamId}`)).text();
    const chart = chartOf(month);
    expect(chart.bucket).toBe("day");
    expect(chart.t).toHaveLength(30);
    expect(windowOf(month).to).toMatch(/T00:00:00\.000Z$/);
    const days = await api(windowOf(month), `team_id=${ids.teamId}&group_by=day`);
    expect(nonZero(chart, "requests")).toEqual(perBucket(days, (r) => r.requests));
    expect(month).toContain("<dt>Requests</dt><dd>4</dd>");
  });

  it("shows a custom range of UTC days, to inclusive, hourly up to a week and daily beyond", async () => {
    const ids = await team();
    const day = Date.UTC(2024, 1, 10);
    await insert(ids, [
      [day + 5 * HOUR, "completed"],
      [day + DAY + 23 * HOUR + 59 * 60_000, "upstream_error"],
      [day + 2 * DAY + 1, "completed"],
      [day + 3 * DAY, "completed"],
      [day - 1, "completed"],
    ]);
    const session = await signIn();
    const res = await session.get(`/dashboard?range=custom&from=2024-02-10&to=2024-02-12&team_id=${ids.teamId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(windowOf(html)).toEqual({ from: "2024-02-10T00:00:00.000Z", to: "2024-02-13T00:00:00.000Z" });
    expect(html).toContain('value="2024-02-10"');
    expect(html).toContain('<option value="custom" selected="">');
    expect(html).toContain("<dt>Requests</dt><dd>3</dd>");
    const chart = chartOf(html);
    expect(chart.bucket).toBe("hour");
    expect(chart.t).toHaveLength(72);
    expect(nonZero(chart, "upstream_error")).toEqual(new Map([[(day + DAY + 23 * HOUR) / 1000, 1]]));

    const long = await (await session.get(`/dashboard?range=custom&from=2024-01-01&to=2024-03-01&team_id=${ids.teamId}`)).text();
    expect(chartOf(long).bucket).toBe("day");
    expect(chartOf(long).t).toHaveLength(61);
    expect(nonZero(chartOf(long), "requests")).toEqual(
      new Map([
        [(day - DAY) / 1000, 1],
        [day / 1000, 1],
        [(day + DAY) / 1000, 1],
        [(day + 2 * DAY) / 1000, 1],
        [(day + 3 * DAY) / 1000, 1],
      ]),
    );
  });

  it("answers 400 with the filter again, holding what was typed, for a custom range that is missing, inverted, not a day, or too long", async () => {
    const session = await signIn();
    const cases: [string, string][] = [
      ["range=custom", "needs a From and a To day"],
      ["range=custom&from=2024-02-10", "needs a From and a To day"],
      ["range=custom&from=2024-02-31&to=2024-03-02", "needs a From and a To day"],
      ["range=custom&from=2024-02-10T00:00&to=2024-03-02", "needs a From and a To day"],
      ["range=custom&from=9999-12-30&to=9999-12-31", "needs a From and a To day"],
      [`range=custom&from=${"9".repeat(5000)}&to=2024-03-02`, "needs a From and a To day"],
      ["range=custom&from=2024-03-10&to=2024-03-02", "The To day is before the From day."],
      ["range=custom&from=2023-01-01&to=2024-02-05", "at most 400 days"],
    ];
    for (const [query, message] of cases) {
      const res = await session.get(`/dashboard?${query}`);
      expect(res.status, query.slice(0, 80)).toBe(400);
      const html = await res.text();
      expect(/<p role="alert" class="error" id="range-error">([^<]*)<\/p>/.exec(html)?.[1], query.slice(0, 80)).toContain(message);
      expect(html).toContain('<select name="range" id="range-filter">');
    }
    const typed = await (await session.get("/dashboard?range=custom&from=2024-03-10&to=2024-03-02")).text();
    expect(typed).toContain('name="from" value="2024-03-10"');
    expect(typed).toContain('name="to" value="2024-03-02"');
    expect((await session.get("/dashboard?range=custom&from=2023-01-01&to=2024-02-04")).status).toBe(200);
  });

  it("draws one custom day in 24 hourly points, seven days in 168 hourly points, and eight days in 8 daily points", async () => {
    const session = await signIn();
    const cases: [string, string, "hour" | "day", number][] = [
      ["2024-05-01", "2024-05-01", "hour", 24],
      ["2024-05-01", "2024-05-07", "hour", 168],
      ["2024-05-01", "2024-05-08", "day", 8],
    ];
    for (const [from, to, bucket, points] of cases) {
      const chart = chartOf(await (await session.get(`/dashboard?range=custom&from=${from}&to=${to}`)).text());
      expect([chart.bucket, chart.t.length], `${from}..${to}`).toEqual([bucket, points]);
      expect(chart.t[0]).toBe(Date.parse(`${from}T00:00:00Z`) / 1000);
    }
  });

  it("downloads the charts' numbers as GET /admin/usage?group_by=hour,outcome&format=csv writes them for the page's window", async () => {
    const ids = await team();
    await insert(ids, [
      [Date.now() - 3 * HOUR, "completed"],
      [Date.now() - 3 * HOUR, "rejected"],
    ]);
    const session = await signIn();
    for (const range of ["24h", "30d"]) {
      const html = await (await session.get(`/dashboard?range=${range}&team_id=${ids.teamId}`)).text();
      const href = /href="([^"]+)" download="usage-over-time.csv"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
      const res = await session.get(href);
      expect(res.status, range).toBe(200);
      expect(res.headers.get("content-disposition")).toContain("usage-over-time.csv");
      const { from, to } = windowOf(html);
      const bucket = range === "24h" ? "hour" : "day";
      const apiCsv = await adminCall(
        "GET",
        `/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&team_id=${ids.teamId}&group_by=${bucket},outcome&format=csv`,
      );
      const csv = await res.text();
      expect(csv).toBe(await apiCsv.text());
      expect(csv.split("\r\n")[0]).toMatch(new RegExp(`^${bucket},outcome,requests`));
      expect(csv.split("\r\n").filter((line) => line !== "")).toHaveLength(3);
    }
  });

  it("refuses a CSV link without a window, with its to before its from, or longer than 400 days, instead of grouping the whole ledger", async () => {
    const session = await signIn();
    for (const query of [
      "table=over_time",
      "from=garbage&to=2024-01-02T00:00:00.000Z",
      "from=2024-01-02T00:00:00.000Z&to=2024-01-01T00:00:00.000Z",
      "from=0001-01-01T00:00:00.000Z&to=9999-12-31T00:00:00.000Z&table=over_time",
    ]) {
      const res = await session.get(`/dashboard/usage.csv?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-disposition"), query).toBeNull();
    }
  });
});
