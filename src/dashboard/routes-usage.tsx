import { Hono } from "hono";
import type { Operator } from "../admin/operator";
import type { TeamView } from "../admin/views";
import type { UsageTotals } from "../db/usage-summary";
import type { Env } from "../env";
import { adminApi, adminJson } from "./admin-client";
import type { DashEnv } from "./middleware";
import { ApiFailure, type UsageQuery, usageRows, usageSearch, usageSeries } from "./overview-data";
import { type Health, HealthPage, type LedgerExport } from "./page-health";
import { MessagePage } from "./page-misc";
import { OverviewPage, type OverviewProps, RangeErrorPage } from "./page-overview";
import { splitSeries, withSplit } from "./split-series";
import { type ChartWindow, instantsWindow, rangeWindow, WindowError, windowOf, windowQuery } from "./windows";

export const usagePages = new Hono<DashEnv>();

/** A team_admin's overview is always one of its teams (the API refuses an unfiltered one). */
function chosenTeam(operator: Operator, asked: string | undefined): string | undefined {
  if (operator.role !== "team_admin") return asked || undefined;
  return asked && operator.teamIds.includes(asked) ? asked : operator.teamIds[0];
}

/** The CSV links of a page: its exact window as instants, so a download equals what was on screen. */
function csvLinks(window: ChartWindow, teamId: string | undefined): OverviewProps["csv"] {
  const search = usageSearch(windowQuery(window, { teamId }));
  return { table: `/dashboard/usage.csv?${search}`, series: `/dashboard/usage.csv?${search}&table=over_time` };
}

/**
 * The filter's teams: a team_admin's own (named by the API), else every team with usage in the
 * range: the page's own by-team rows when it shows all teams (`allTeams`), asked once.
 */
async function filterTeams(
  env: Env,
  operator: Operator,
  query: UsageQuery,
  allTeams?: Promise<UsageTotals[]>,
): Promise<{ id: string; name: string }[]> {
  if (operator.role === "team_admin") {
    const teams = await Promise.all(
      operator.teamIds.map((id) => adminJson<TeamView>(env, operator, "GET", `/teams/${encodeURIComponent(id)}`)),
    );
    return teams.filter((t) => t.status === 200).map((t) => ({ id: t.body.id, name: t.body.name }));
  }
  const rows = await (query.teamId === undefined && allTeams
    ? allTeams
    : usageRows(env, operator, { from: query.from, to: query.to }, "team"));
  return rows.map((row) => ({ id: row.team_id ?? "", name: row.team_name ?? row.team_id ?? "" }));
}

usagePages.get("/", async function overview(c) {
  const operator = c.get("dashOperator");
  const teamId = chosenTeam(operator, c.req.query("team_id"));
  if (operator.role === "team_admin" && teamId === undefined) {
    return c.html(
      <MessagePage title="Usage overview" message="This operator manages no team yet." operator={operator} csrf={c.get("csrf")} />,
    );
  }
  let window: ChartWindow;
  try {
    window = windowOf(c.req.query());
  } catch (err) {
    if (!(err instanceof WindowError)) throw err;
    // The filter again, with what was typed and what is wrong with it.
    const teams = await filterTeams(c.env, operator, windowQuery(rangeWindow("30d"), { teamId }));
    const asked = { range: "custom", days: { from: c.req.query("from") ?? "", to: c.req.query("to") ?? "" } };
    return c.html(
      <RangeErrorPage operator={operator} csrf={c.get("csrf")} message={err.message} asked={asked} teamId={teamId} teams={teams} />,
      400,
    );
  }
  const query = windowQuery(window, { teamId });
  try {
    // The tables by team and by model also rank the split charts' groups (and list the filter's teams): each asked once.
    const teamRows = usageRows(c.env, operator, query, "team");
    const modelRows = usageRows(c.env, operator, query, "model");
    const [totals, byTeam, byModel, byKey, overTime, costByTeam, requestsByModel, teams] = await Promise.all([
      usageRows(c.env, operator, query, "", 1),
      teamRows,
      modelRows,
      usageRows(c.env, operator, query, "key"),
      usageSeries(c.env, operator, window, { teamId }),
      splitSeries(c.env, operator, window, { teamId }, { group: "team", measure: "cost_micro_usd", groups: teamRows }),
      splitSeries(c.env, operator, window, { teamId }, { group: "model", measure: "requests", groups: modelRows }),
      filterTeams(c.env, operator, query, teamRows),
    ]);
    const series = withSplit(withSplit(overTime, "cost_by_team", costByTeam), "requests_by_model", requestsByModel);
    const props: OverviewProps = {
      operator,
      csrf: c.get("csrf"),
      window,
      teamId,
      teams,
      totals: totals[0],
      byTeam,
      byModel,
      byKey,
      series,
      csv: csvLinks(window, teamId),
    };
    return c.html(<OverviewPage {...props} />);
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    return c.html(<MessagePage title="Usage overview" message={err.message} operator={operator} csrf={c.get("csrf")} />, err.status as 400);
  }
});

/**
 * What a page showed, as GET /admin/usage writes CSV for the same window (the link's from/to
 * instants, bounded like a custom range): the overview's by-team-and-model table,
 * (table=over_time) its charts' points per hour or day, as the page drew them, and outcome, or
 * (table=keys) a team page's keys; with key_id, one key's (a key page's charts).
 */
const CSV_NAMES: Record<string, string> = { "team,model": "usage.csv", key: "team-keys.csv" };

usagePages.get("/usage.csv", async function usageCsv(c) {
  const operator = c.get("dashOperator");
  const teamId = chosenTeam(operator, c.req.query("team_id"));
  let window: ChartWindow;
  try {
    window = instantsWindow(c.req.query("from"), c.req.query("to"));
  } catch (err) {
    if (err instanceof WindowError) return c.text(err.message, 400);
    throw err;
  }
  const table = c.req.query("table");
  const groupBy = table === "over_time" ? `${window.bucket},outcome` : table === "keys" ? "key" : "team,model";
  // A key_id is the API's filter too, checked there like any (a team_admin's own keys only).
  const filter = { teamId, keyId: c.req.query("key_id") || undefined };
  const search = usageSearch(windowQuery(window, filter), { group_by: groupBy, format: "csv" });
  const res = await adminApi(c.env, operator, "GET", `/usage?${search}`);
  if (!res.ok) return c.text(`The usage query failed (${res.status}).`, res.status as 400);
  return c.body(await res.text(), 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${CSV_NAMES[groupBy] ?? "usage-over-time.csv"}"`,
  });
});

/** GET /admin/health and the newest 24 hours GET /admin/exports lists (the owner's, as on the API). */
usagePages.get("/health", async function health(c) {
  const operator = c.get("dashOperator");
  const [{ status, body }, exports] = await Promise.all([
    adminJson<Health & { error?: { message: string } }>(c.env, operator, "GET", "/health"),
    adminJson<{ data: LedgerExport[] }>(c.env, operator, "GET", "/exports?limit=24"),
  ]);
  if (status !== 200) {
    return c.html(
      <MessagePage title="Ledger health" message={body.error?.message ?? "Not available."} operator={operator} csrf={c.get("csrf")} />,
      status as 403,
    );
  }
  const listed = exports.status === 200 ? exports.body.data : null;
  return c.html(<HealthPage operator={operator} csrf={c.get("csrf")} health={body} exports={listed} />);
});
