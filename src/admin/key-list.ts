import { createRoute, z } from "@hono/zod-openapi";
import { listKeys } from "../db/keys";
import { adminRouter, ERRORS, json } from "./routes-common";
import { KEY_STATUSES, KeySchema, PageQuery, page } from "./schemas";
import { decodeCursor, keyView, pageOf } from "./views";

const KeyListQuery = PageQuery.extend({
  team_id: z.string().min(1).optional(),
  status: z.enum(KEY_STATUSES).optional(),
  prefix: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[0-9A-Za-z_]+$/, "must be the start of a key's display prefix, such as tgw_AbC")
    .optional()
    .openapi({ description: "Keys whose display prefix starts with this (e.g. tgw_AbC12): find a leaked key by what was seen of it" }),
});

const KeyWithTeamSchema = KeySchema.extend({ team_name: z.string() }).openapi("KeyWithTeam");

export const keyList = adminRouter();

keyList.openapi(
  createRoute({
    method: "get",
    path: "/keys",
    operationId: "listKeys",
    summary: "Keys across teams, oldest first, filtered by team, status or prefix (no secrets)",
    request: { query: KeyListQuery },
    responses: { 200: json(page(KeyWithTeamSchema, "KeyWithTeamPage"), "A page of keys"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function listAllKeys(c) {
    const { limit, cursor, team_id, status, prefix } = c.req.valid("query");
    const now = new Date();
    const rows = await listKeys(c.env.DB, { teamId: team_id, status, prefix }, limit + 1, decodeCursor(cursor), now.toISOString());
    return c.json(
      pageOf(
        rows,
        limit,
        (row) => ({ ...keyView(row, now.getTime()), team_name: row.team_name }),
        (row) => ({ at: row.created_at, id: row.id }),
      ),
      200,
    );
  },
);
