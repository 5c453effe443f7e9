import { type Context, Hono } from "hono";
import type { KeyView, TeamView } from "../admin/views";
import { adminJson } from "./admin-client";
import type { DashEnv } from "./middleware";
import { usageRows, usageSearch, usageSeries } from "./overview-data";
import { MessagePage, RevokeConfirmPage, RotatedPage } from "./page-misc";
import { KeyPage, TeamPage } from "./page-team";
import { rangeName, rangeWindow, windowQuery } from "./windows";

export const keyPages = new Hono<DashEnv>();

type ApiError = { error?: { message: string } };

/** The admin API's refusal (403 for the role, 404 for another team's key) as a page with its status. */
function refusal(c: Context<DashEnv>, title: string, status: number, body: ApiError) {
  const message = body.error?.message ?? "The admin API refused this.";
  return c.html(<MessagePage title={title} message={message} operator={c.get("dashOperator")} csrf={c.get("csrf")} />, status as 403);
}

keyPages.get("/teams/:team_id", async function teamPage(c) {
  const operator = c.get("dashOperator");
  const id = encodeURIComponent(c.req.param("team_id"));
  const window = rangeWindow(rangeName(c.req.query("range")));
  const team = await adminJson<TeamView & ApiError>(c.env, operator, "GET", `/teams/${id}`);
  if (team.status !== 200) return refusal(c, "Team", team.status, team.body);
  const keys = await adminJson<{ data: KeyView[] } & ApiError>(c.env, operator, "GET", `/teams/${id}/keys?limit=1000`);
  if (keys.status !== 200) return refusal(c, "Team", keys.status, keys.body);
  const usage = await usageRows(c.env, operator, windowQuery(window, { teamId: team.body.id }), "key");
  const csvHref = `/dashboard/usage.csv?${usageSearch(windowQuery(window, { teamId: team.body.id }), { table: "keys" })}`;
  return c.html(
    <TeamPage
      operator={operator}
      csrf={c.get("csrf")}
      team={team.body}
      keys={keys.body.data}
      usage={usage}
      window={window}
      csvHref={csvHref}
    />,
  );
});

keyPages.get("/keys/:key_id", async function keyPage(c) {
  const operator = c.get("dashOperator");
  const window = rangeWindow(rangeName(c.req.query("range")));
  const key = await adminJson<KeyView & ApiError>(c.env, operator, "GET", `/keys/${encodeURIComponent(c.req.param("key_id"))}`);
  if (key.status !== 200) return refusal(c, "Key", key.status, key.body);
  const filter = { keyId: key.body.id };
  const [totals, series] = await Promise.all([
    usageRows(c.env, operator, windowQuery(window, filter), "", 1),
    usageSeries(c.env, operator, window, filter),
  ]);
  // The key's team beside it: a team_admin's CSV is always of one of its teams (usage.csv's chosenTeam).
  const csvFilter = { teamId: key.body.team_id, keyId: key.body.id };
  const csvHref = `/dashboard/usage.csv?${usageSearch(windowQuery(window, csvFilter), { table: "over_time" })}`;
  return c.html(
    <KeyPage
      operator={operator}
      csrf={c.get("csrf")}
      apiKey={key.body}
      totals={totals[0]}
      series={series}
      window={window}
      csvHref={csvHref}
    />,
  );
});

keyPages.get("/keys/:key_id/revoke", async function confirmRevoke(c) {
  const operator = c.get("dashOperator");
  const key = await adminJson<KeyView & ApiError>(c.env, operator, "GET", `/keys/${encodeURIComponent(c.req.param("key_id"))}`);
  if (key.status !== 200) return refusal(c, "Revoke key", key.status, key.body);
  return c.html(<RevokeConfirmPage operator={operator} csrf={c.get("csrf")} apiKey={key.body} />);
});

/** DELETE /admin/keys/{id} as the signed-in operator: the same audit entry and cache eviction as the API. */
keyPages.post("/keys/:key_id/revoke", async function revoke(c) {
  const operator = c.get("dashOperator");
  const path = `/keys/${encodeURIComponent(c.req.param("key_id"))}`;
  const res = await adminJson<KeyView & ApiError>(c.env, operator, "DELETE", path);
  if (res.status !== 200) return refusal(c, "Revoke key", res.status, res.body);
  return c.redirect(`/dashboard${path}`, 303);
});

/** POST /admin/keys/{id}/rotate (no grace period): the new secret is shown on this one response only. */
keyPages.post("/keys/:key_id/rotate", async function rotate(c) {
  const operator = c.get("dashOperator");
  const path = `/keys/${encodeURIComponent(c.req.param("key_id"))}/rotate`;
  const res = await adminJson<KeyView & { key: string } & ApiError>(c.env, operator, "POST", path, { grace_seconds: 0 });
  if (res.status !== 201) return refusal(c, "Rotate key", res.status, res.body);
  return c.html(<RotatedPage operator={operator} csrf={c.get("csrf")} apiKey={res.body} secret={res.body.key} />);
});
