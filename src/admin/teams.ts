import { createRoute } from "@hono/zod-openapi";
import { v7 as uuidv7 } from "uuid";
import { getTeamRow, insertTeamStatement, listTeams, type TeamRow, updateTeamStatement } from "../db/teams";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import { TEAM_SCOPE } from "../limits/policy";
import type { BudgetStatus } from "../limits/team-limits";
import { forgetTeamKeys } from "./key-cache";
import { scopeSpend, storedBudget, storedLimits } from "./limit-views";
import { adminRouter, ERRORS, json, jsonBody, nowIso } from "./routes-common";
import { page, TeamCreateBody, TeamListQuery, TeamParam, TeamPatchBody, TeamSchema } from "./schemas";
import { teamArchived } from "./team-archive";
import { auditStatement, decodeCursor, notFound, pageOf, teamView } from "./views";

/** The team budget's current spend, from the team's object. */
function teamSpend(env: Env, row: TeamRow): Promise<BudgetStatus | null> {
  return scopeSpend(env, row.id, TEAM_SCOPE, row.budget);
}

function nameTaken(name: string): GatewayError {
  return new GatewayError(409, "team_name_taken", `A team named "${name}" already exists.`, { param: "name" });
}

function isUniqueViolation(err: unknown): boolean {
  return String(err).includes("UNIQUE constraint failed");
}

export const teams = adminRouter();

teams.openapi(
  createRoute({
    method: "post",
    path: "/teams",
    operationId: "createTeam",
    summary: "Create a team",
    request: jsonBody(TeamCreateBody),
    responses: { 201: json(TeamSchema, "The new team"), 400: ERRORS[400], 401: ERRORS[401], 409: ERRORS[409] },
  }),
  async function createTeam(c) {
    const body = c.req.valid("json");
    const now = nowIso();
    const row: TeamRow = {
      id: `team_${uuidv7()}`,
      name: body.name,
      metadata: JSON.stringify(body.metadata ?? {}),
      budget: null,
      limits: null,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    const team = teamView(row);
    try {
      await c.env.DB.batch([
        insertTeamStatement(c.env.DB, row),
        auditStatement(c.env.DB, c.var.operator, {
          action: "team.create",
          targetType: "team",
          targetId: row.id,
          before: null,
          after: team,
        }),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(body.name);
      throw err;
    }
    return c.json(team, 201);
  },
);

teams.openapi(
  createRoute({
    method: "get",
    path: "/teams",
    operationId: "listTeams",
    summary: "List teams, oldest first (archived ones with include_archived=true)",
    request: { query: TeamListQuery },
    responses: { 200: json(page(TeamSchema, "TeamPage"), "A page of teams"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function listAllTeams(c) {
    const { limit, cursor, include_archived } = c.req.valid("query");
    const rows = await listTeams(c.env.DB, limit + 1, decodeCursor(cursor), include_archived === "true");
    const spend = await Promise.all(rows.slice(0, limit).map((row) => teamSpend(c.env, row)));
    return c.json(
      pageOf(
        rows,
        limit,
        (row) => teamView(row, spend[rows.indexOf(row)] ?? null),
        (row) => ({ at: row.created_at, id: row.id }),
      ),
      200,
    );
  },
);

teams.openapi(
  createRoute({
    method: "get",
    path: "/teams/{team_id}",
    operationId: "getTeam",
    summary: "One team",
    request: { params: TeamParam },
    responses: { 200: json(TeamSchema, "The team"), 401: ERRORS[401], 404: ERRORS[404] },
  }),
  async function getTeam(c) {
    const { team_id } = c.req.valid("param");
    const row = await getTeamRow(c.env.DB, team_id);
    if (!row) throw notFound("team", team_id);
    return c.json(teamView(row, await teamSpend(c.env, row)), 200);
  },
);

teams.openapi(
  createRoute({
    method: "patch",
    path: "/teams/{team_id}",
    operationId: "updateTeam",
    summary: "Rename a team, replace its metadata, set or remove its budget and rate limits",
    description:
      "A budget or limit change reaches every isolate within the key cache's 5 s (at once on the isolate that answered). Spend so far is kept when a budget changes.",
    request: { params: TeamParam, ...jsonBody(TeamPatchBody) },
    responses: { 200: json(TeamSchema, "The updated team"), 400: ERRORS[400], 401: ERRORS[401], 404: ERRORS[404], 409: ERRORS[409] },
  }),
  async function patchTeam(c) {
    const { team_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const before = await getTeamRow(c.env.DB, team_id);
    if (!before) throw notFound("team", team_id);
    if (before.archived_at !== null) throw teamArchived(team_id);
    // Nothing to change: nothing written, nothing audited.
    if (Object.values(body).every((value) => value === undefined)) return c.json(teamView(before, await teamSpend(c.env, before)), 200);
    const row: TeamRow = {
      ...before,
      name: body.name ?? before.name,
      metadata: body.metadata === undefined ? before.metadata : JSON.stringify(body.metadata),
      budget: body.budget === undefined ? before.budget : storedBudget(body.budget),
      limits: body.limits === undefined ? before.limits : storedLimits(body.limits),
      updated_at: nowIso(),
    };
    const team = teamView(row);
    try {
      const [updated] = await c.env.DB.batch([
        updateTeamStatement(c.env.DB, row),
        auditStatement(
          c.env.DB,
          c.var.operator,
          { action: "team.update", targetType: "team", targetId: team_id, before: teamView(before), after: team },
          // Archived since it was read: no row changed, no entry written, and the 409 it would have got a moment later.
          { ifChanged: true },
        ),
      ]);
      if (updated?.meta.changes !== 1) throw teamArchived(team_id);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(row.name);
      throw err;
    }
    // Every key of the team carries the team's policy in the key cache.
    if (row.budget !== before.budget || row.limits !== before.limits) await forgetTeamKeys(c.env.DB, team_id);
    return c.json(teamView(row, await teamSpend(c.env, row)), 200);
  },
);
