import { Hono } from "hono";
import type { Operator } from "../admin/operator";
import type { TeamView } from "../admin/views";
import type { Env } from "../env";
import { adminApi, adminJson } from "./admin-client";
import type { DashEnv } from "./middleware";
import { ApiFailure, rangeName, rangeWindow, type UsageQuery, usageRows, usageSearch, usageSeries } from "./overview-data";
import { type Health, HealthPage, MessagePage } from "./page-misc";
import { OverviewPage, type OverviewProps } from "./page-overview";

export const usagePages = new Hono<DashEnv>();

/** A team_admin's overview is always one of its teams (the API refuses an unfiltered one). */
function chosenTeam(operator: Operator, asked: string | undefined): string | undefined {
  if (operator.role !== "team_admin") return asked || undefined;
  return asked && operator.teamIds.includes(asked) ? asked : operator.teamIds[0];
}

function overviewQuery(range: ReturnType<typeof rangeName>, teamId: string | undefined, now: number): UsageQuery {
  const { from, to } = rangeWindow(range, now);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), teamId };
}

/** The filter's teams: a team_admin's own (named by the API), else every team with usage in the range. */
async function filterTeams(env: Env, operator: Operator, query: UsageQuery): Promise<{ id: string; name: string }[]> {
  if (operator.role === "team_admin") {
    const teams = await Promise.all(
      operator.teamIds.map((id) => adminJson<TeamView>(env, operator, "GET", `/teams/${encodeURIComponent(id)}`)),
    );
    return teams.filter((t) => t.status === 200).map((t) => ({ id: t.body.id, name: t.body.name }));
  }
  const rows = await usageRows(env, operator, { from: query.from, to: query.to }, "team");
  return rows.map((row) => ({ id: row.team_id ?? "", name: row.team_name ?? row.team_id ?? "" }));
}

usagePages.get("/", async function overview(c) {
  const operator = c.get("dashOperator");
  const range = rangeName(c.req.query("range"));
  const teamId = chosenTeam(operator, c.req.query("team_id"));
  if (operator.role === "team_admin" && teamId === undefined) {
    return c.html(
      <MessagePage title="Usage overview" message="This operator manages no team yet." operator={operator} csrf={c.get("csrf")} />,
    );
  }
  const now = Date.now();
  const query = overviewQuery(range, teamId, now);
  try {
    const [totals, byTeam, byModel, byKey, series, teams] = await Promise.all([
      usageRows(c.env, operator, query, "", 1),
      usageRows(c.env, operator, query, "team"),
      usageRows(c.env, operator, query, "model"),
      usageRows(c.env, operator, query, "key"),
      usageSeries(c.env, operator, range, { teamId }, now),
      filterTeams(c.env, operator, query),
    ]);
    const csv = new URLSearchParams({ range, from: query.from, to: query.to });
    if (teamId) csv.set("team_id", teamId);
    const props: OverviewProps = {
      operator,
      csrf: c.get("csrf"),
      range,
      teamId,
      teams,
      totals: totals[0],
      byTeam,
      byModel,
      byKey,
      series,
      csvHref: `/dashboard/usage.csv?${csv}`,
      window: query,
    };
    return c.html(<OverviewPage {...props} />);
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    return c.html(<MessagePage title="Usage overview" message={err.message} operator={operator} csrf={c.get("csrf")} />, err.status as 400);
  }
});

/** The overview's by-team-and-model table as GET /admin/usage writes it, for the window the page showed. */
usagePages.get("/usage.csv", async function usageCsv(c) {
  const operator = c.get("dashOperator");
  const range = rangeName(c.req.query("range"));
  const teamId = chosenTeam(operator, c.req.query("team_id"));
  const fallback = overviewQuery(range, teamId, Date.now());
  const from = c.req.query("from") ?? fallback.from;
  const to = c.req.query("to") ?? fallback.to;
  const res = await adminApi(
    c.env,
    operator,
    "GET",
    `/usage?${usageSearch({ from, to, teamId }, { group_by: "team,model", format: "csv" })}`,
  );
  if (!res.ok) return c.text(`The usage query failed (${res.status}).`, res.status as 400);
  return c.body(await res.text(), 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": 'attachment; filename="usage.csv"',
  });
});

usagePages.get("/health", async function health(c) {
  const operator = c.get("dashOperator");
  const { status, body } = await adminJson<Health & { error?: { message: string } }>(c.env, operator, "GET", "/health");
  if (status !== 200) {
    return c.html(
      <MessagePage title="Ledger health" message={body.error?.message ?? "Not available."} operator={operator} csrf={c.get("csrf")} />,
      status as 403,
    );
  }
  return c.html(<HealthPage operator={operator} csrf={c.get("csrf")} health={body} />);
});
