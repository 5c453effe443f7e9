import { createRoute } from "@hono/zod-openapi";
import { archiveTeamStatements, getTeamRow } from "../db/teams";
import { GatewayError } from "../errors";
import { forgetTeamKeys } from "./key-cache";
import { adminRouter, ERRORS, json, nowIso } from "./routes-common";
import { TeamParam, TeamSchema } from "./schemas";
import { auditStatement, notFound, teamView } from "./views";

/** An archived team is kept for the record only: no new keys, no changes, no second archive. */
export function teamArchived(teamId: string): GatewayError {
  return new GatewayError(409, "team_archived", `Team "${teamId}" is archived; archived teams are kept for the record only.`);
}

/** The trigger of migrations/0008_team_archive.sql refused a key for an archived team. */
export function isArchivedTeamInsert(err: unknown): boolean {
  return String(err).includes("team_archived");
}

export const teamArchive = adminRouter();

teamArchive.openapi(
  createRoute({
    method: "delete",
    path: "/teams/{team_id}",
    operationId: "archiveTeam",
    summary: "Archive a team: revoke all its keys at once, keep it and its usage for the record",
    description:
      "The team is hidden from GET /teams unless `include_archived=true`; GET /teams/{team_id} still answers, with `archived_at`. Its keys are revoked with `revoked_at` = `archived_at` (refused as `api_key_revoked` at once on the isolate that answered, everywhere within the key cache's 5 s), and it gets no new key (409 `team_archived`). Its name may be taken by a new team.",
    request: { params: TeamParam },
    responses: { 200: json(TeamSchema, "The archived team"), 401: ERRORS[401], 404: ERRORS[404], 409: ERRORS[409] },
  }),
  async function archiveTeam(c) {
    const { team_id } = c.req.valid("param");
    const before = await getTeamRow(c.env.DB, team_id);
    if (!before) throw notFound("team", team_id);
    if (before.archived_at !== null) throw teamArchived(team_id);
    const now = nowIso();
    const after = teamView({ ...before, archived_at: now, updated_at: now });
    const results = await c.env.DB.batch([
      ...archiveTeamStatements(c.env.DB, team_id, now),
      auditStatement(
        c.env.DB,
        c.var.operator,
        { action: "team.archive", targetType: "team", targetId: team_id, before: teamView(before), after },
        { ifChanged: true },
      ),
    ]);
    // Archived meanwhile by another request: that one revoked the keys and wrote the entry.
    if (results[1]?.meta.changes !== 1) throw teamArchived(team_id);
    await forgetTeamKeys(c.env.DB, team_id);
    return c.json(after, 200);
  },
);
