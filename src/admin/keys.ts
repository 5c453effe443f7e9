import { createRoute } from "@hono/zod-openapi";
import { v7 as uuidv7 } from "uuid";
import { displayPrefix, generateKey, hashKey } from "../auth/key-format";
import { getKeyRow, insertKeyStatement, type KeyRow, keyHashes, listTeamKeys, updateKeyStatement } from "../db/keys";
import { getTeamRow } from "../db/teams";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { BudgetStatus } from "../limits/team-limits";
import { forgetAll } from "./key-cache";
import { budgetSpend, scopeSpend, storedBudget, storedLimits } from "./limit-views";
import { changeLiveKey, liveKey } from "./live-key";
import { adminRouter, ERRORS, json, jsonBody, nowIso } from "./routes-common";
import { KeyCreateBody, KeyCreatedSchema, KeyParam, KeyPatchBody, KeySchema, PageQuery, page, TeamParam } from "./schemas";
import { isArchivedTeamInsert, teamArchived } from "./team-archive";
import { auditStatement, decodeCursor, keyView, notFound, pageOf } from "./views";

/**
 * A future expires_at, stored in the one form every stored time has (toISOString,
 * as migrations/0001_init.sql promises), whatever UTC offset it was sent with.
 */
function futureExpiry<T extends string | null | undefined>(expiresAt: T): T {
  if (expiresAt == null) return expiresAt;
  const at = Date.parse(expiresAt);
  if (at <= Date.now()) {
    throw new GatewayError(400, "invalid_request", "Invalid expires_at: it must be in the future.", { param: "expires_at" });
  }
  return new Date(at).toISOString() as T;
}

/** The key budget's current spend, from its team's object. */
function keySpend(env: Env, row: KeyRow): Promise<BudgetStatus | null> {
  return scopeSpend(env, row.team_id, row.id, row.budget);
}

export const keys = adminRouter();

keys.openapi(
  createRoute({
    method: "post",
    path: "/teams/{team_id}/keys",
    operationId: "createKey",
    summary: "Mint a key for a team (the secret is in this response only)",
    request: { params: TeamParam, ...jsonBody(KeyCreateBody) },
    responses: {
      201: json(KeyCreatedSchema, "The new key, with its secret"),
      400: ERRORS[400],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ERRORS[409],
    },
  }),
  async function createKey(c) {
    const { team_id } = c.req.valid("param");
    const body = { ...c.req.valid("json") };
    body.expires_at = futureExpiry(body.expires_at);
    const team = await getTeamRow(c.env.DB, team_id);
    if (!team) throw notFound("team", team_id);
    if (team.archived_at !== null) throw teamArchived(team_id);
    const secret = generateKey();
    const now = nowIso();
    const id = `key_${uuidv7()}`;
    const models = body.models ?? null;
    const metadata = body.metadata ?? {};
    const row: KeyRow = {
      id,
      team_id,
      name: body.name,
      prefix: displayPrefix(secret),
      models: models === null ? null : JSON.stringify(models),
      expires_at: body.expires_at ?? null,
      revoked_at: null,
      metadata: JSON.stringify(metadata),
      budget: null,
      limits: null,
      created_at: now,
      updated_at: now,
      last_used_at: null,
      previous_key_expires_at: null,
    };
    const view = keyView(row);
    // A team archived since it was read: the migration's trigger refuses the insert.
    try {
      await c.env.DB.batch([
        insertKeyStatement(c.env.DB, {
          id,
          teamId: team_id,
          name: body.name,
          keyHash: await hashKey(secret),
          prefix: row.prefix,
          models,
          expiresAt: row.expires_at,
          metadata,
          createdAt: now,
        }),
        auditStatement(c.env.DB, c.var.operator, { action: "key.create", targetType: "key", targetId: id, before: null, after: view }),
      ]);
    } catch (err) {
      if (isArchivedTeamInsert(err)) throw teamArchived(team_id);
      throw err;
    }
    return c.json({ ...view, key: secret }, 201);
  },
);

keys.openapi(
  createRoute({
    method: "get",
    path: "/teams/{team_id}/keys",
    operationId: "listTeamKeys",
    summary: "A team's keys, oldest first (no secrets)",
    request: { params: TeamParam, query: PageQuery },
    responses: { 200: json(page(KeySchema, "KeyPage"), "A page of keys"), 400: ERRORS[400], 401: ERRORS[401], 404: ERRORS[404] },
  }),
  async function listKeys(c) {
    const { team_id } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    if (!(await getTeamRow(c.env.DB, team_id))) throw notFound("team", team_id);
    const rows = await listTeamKeys(c.env.DB, team_id, limit + 1, decodeCursor(cursor));
    const now = Date.now();
    // One call to the team's object for every budgeted key on the page.
    const spend = await budgetSpend(
      c.env,
      team_id,
      rows.slice(0, limit).map((row) => ({ scope: row.id, budget: row.budget })),
    );
    return c.json(
      pageOf(
        rows,
        limit,
        (row) => keyView(row, now, spend.get(row.id) ?? null),
        (row) => ({ at: row.created_at, id: row.id }),
      ),
      200,
    );
  },
);

keys.openapi(
  createRoute({
    method: "get",
    path: "/keys/{key_id}",
    operationId: "getKey",
    summary: "One key (no secret)",
    request: { params: KeyParam },
    responses: { 200: json(KeySchema, "The key"), 401: ERRORS[401], 404: ERRORS[404] },
  }),
  async function getKey(c) {
    const { key_id } = c.req.valid("param");
    const row = await getKeyRow(c.env.DB, key_id);
    if (!row) throw notFound("key", key_id);
    return c.json(keyView(row, Date.now(), await keySpend(c.env, row)), 200);
  },
);

keys.openapi(
  createRoute({
    method: "patch",
    path: "/keys/{key_id}",
    operationId: "updateKey",
    summary: "Rename a key, change its models, expiry, metadata, budget or rate limits",
    request: { params: KeyParam, ...jsonBody(KeyPatchBody) },
    responses: { 200: json(KeySchema, "The updated key"), 400: ERRORS[400], 401: ERRORS[401], 404: ERRORS[404], 409: ERRORS[409] },
  }),
  async function patchKey(c) {
    const { key_id } = c.req.valid("param");
    const body = { ...c.req.valid("json") };
    body.expires_at = futureExpiry(body.expires_at);
    const before = await liveKey(c, key_id);
    // Nothing to change: nothing written, nothing audited.
    if (Object.values(body).every((value) => value === undefined))
      return c.json(keyView(before, Date.now(), await keySpend(c.env, before)), 200);
    const hashes = await keyHashes(c.env.DB, key_id);
    const now = nowIso();
    const budget = body.budget === undefined ? undefined : storedBudget(body.budget);
    const limits = body.limits === undefined ? undefined : storedLimits(body.limits);
    const afterRow: KeyRow = {
      ...before,
      name: body.name ?? before.name,
      models: body.models === undefined ? before.models : body.models === null ? null : JSON.stringify(body.models),
      expires_at: body.expires_at === undefined ? before.expires_at : body.expires_at,
      metadata: body.metadata === undefined ? before.metadata : JSON.stringify(body.metadata),
      budget: budget === undefined ? before.budget : budget,
      limits: limits === undefined ? before.limits : limits,
      updated_at: now,
    };
    const after = keyView(afterRow);
    await changeLiveKey(
      c,
      key_id,
      updateKeyStatement(
        c.env.DB,
        key_id,
        { name: body.name, models: body.models, expiresAt: body.expires_at, metadata: body.metadata, budget, limits },
        now,
      ),
      { action: "key.update", targetType: "key", targetId: key_id, before: keyView(before), after },
    );
    forgetAll(hashes);
    return c.json(keyView(afterRow, Date.now(), await keySpend(c.env, afterRow)), 200);
  },
);
