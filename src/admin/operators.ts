import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { v7 as uuidv7 } from "uuid";
import { generateOperatorToken, hashKey, operatorTokenPrefix } from "../auth/key-format";
import {
  getOperatorRow,
  insertOperatorStatement,
  listOperators,
  missingTeams,
  type OperatorRow,
  revokeOperatorStatement,
  rotateOperatorStatement,
} from "../db/operators";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { OperatorCreateBody, OperatorCreatedSchema, OperatorParam, OperatorSchema } from "./operator-schemas";
import { forgetOperator } from "./operator-store";
import { adminRouter, ERRORS, json, jsonBody, nowIso } from "./routes-common";
import { PageQuery, page } from "./schemas";
import { auditStatement, decodeCursor, pageOf } from "./views";

/** The public face of an operator: never its token, never its hash. */
function operatorView(row: OperatorRow) {
  return {
    id: row.id,
    name: row.name,
    role: row.role as "owner" | "team_admin" | "viewer",
    team_ids: JSON.parse(row.team_ids) as string[],
    email: row.email,
    prefix: row.prefix,
    status: row.revoked_at === null ? ("active" as const) : ("revoked" as const),
    created_at: row.created_at,
    updated_at: row.updated_at,
    revoked_at: row.revoked_at,
  };
}

function operatorNotFound(id: string): GatewayError {
  return new GatewayError(404, "operator_not_found", `No operator with id "${id}".`);
}

function operatorRevoked(id: string): GatewayError {
  return new GatewayError(409, "operator_revoked", `Operator "${id}" is revoked; revoked operators are kept for the record only.`);
}

async function liveOperator(c: Context<AppEnv>, id: string): Promise<OperatorRow> {
  const row = await getOperatorRow(c.env.DB, id);
  if (!row) throw operatorNotFound(id);
  if (row.revoked_at !== null) throw operatorRevoked(id);
  return row;
}

/** team_ids belong to team_admin alone, and must name teams that exist. */
async function checkedTeamIds(db: D1Database, role: string, teamIds: string[] | undefined): Promise<string[]> {
  if (role !== "team_admin") {
    if (teamIds !== undefined) {
      throw new GatewayError(400, "invalid_request", `Invalid team_ids: only a team_admin has teams (this role is ${role}).`, {
        param: "team_ids",
      });
    }
    return [];
  }
  if (teamIds === undefined)
    throw new GatewayError(400, "invalid_request", "Invalid team_ids: a team_admin needs at least one team.", { param: "team_ids" });
  const unique = [...new Set(teamIds)];
  const [missing] = await missingTeams(db, unique);
  if (missing !== undefined) throw new GatewayError(404, "team_not_found", `No team with id "${missing}".`, { param: "team_ids" });
  return unique;
}

/**
 * A change to a live operator and its audit entry in one transaction; a revoke landing
 * in between makes the change match no row, writes no entry, and answers 409.
 */
async function changeLiveOperator(
  c: Context<AppEnv>,
  id: string,
  change: D1PreparedStatement,
  audit: Parameters<typeof auditStatement>[2],
) {
  const [result] = await c.env.DB.batch([change, auditStatement(c.env.DB, c.var.operator, audit, { ifChanged: true })]);
  if (result?.meta.changes !== 1) throw operatorRevoked(id);
}

export const operators = adminRouter();

operators.openapi(
  createRoute({
    method: "post",
    path: "/operators",
    operationId: "createOperator",
    summary: "Create a named operator with a role (its token is in this response only)",
    request: jsonBody(OperatorCreateBody),
    responses: {
      201: json(OperatorCreatedSchema, "The new operator, with its token"),
      400: ERRORS[400],
      401: ERRORS[401],
      403: ERRORS[403],
      404: ERRORS[404],
      409: ERRORS[409],
    },
  }),
  async function createOperator(c) {
    const body = c.req.valid("json");
    const teamIds = await checkedTeamIds(c.env.DB, body.role, body.team_ids);
    const token = generateOperatorToken();
    const now = nowIso();
    const row: OperatorRow = {
      id: `op_${uuidv7()}`,
      name: body.name,
      role: body.role,
      team_ids: JSON.stringify(teamIds),
      email: body.email?.toLowerCase() ?? null,
      token_hash: await hashKey(token),
      prefix: operatorTokenPrefix(token),
      created_at: now,
      updated_at: now,
      revoked_at: null,
    };
    const view = operatorView(row);
    try {
      await c.env.DB.batch([
        insertOperatorStatement(c.env.DB, row),
        auditStatement(c.env.DB, c.var.operator, {
          action: "operator.create",
          targetType: "operator",
          targetId: row.id,
          before: null,
          after: view,
        }),
      ]);
    } catch (err) {
      if (String(err).includes("UNIQUE constraint failed: operators.email")) {
        throw new GatewayError(409, "operator_email_taken", "A live operator already has this email.", { param: "email" });
      }
      throw err;
    }
    return c.json({ ...view, token }, 201);
  },
);

operators.openapi(
  createRoute({
    method: "get",
    path: "/operators",
    operationId: "listOperators",
    summary: "List operators, oldest first (no tokens)",
    request: { query: PageQuery },
    responses: {
      200: json(page(OperatorSchema, "OperatorPage"), "A page of operators"),
      400: ERRORS[400],
      401: ERRORS[401],
      403: ERRORS[403],
    },
  }),
  async function listAllOperators(c) {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listOperators(c.env.DB, limit + 1, decodeCursor(cursor));
    return c.json(
      pageOf(rows, limit, operatorView, (row) => ({ at: row.created_at, id: row.id })),
      200,
    );
  },
);

operators.openapi(
  createRoute({
    method: "get",
    path: "/operators/{operator_id}",
    operationId: "getOperator",
    summary: "One operator (no token)",
    request: { params: OperatorParam },
    responses: { 200: json(OperatorSchema, "The operator"), 401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404] },
  }),
  async function getOperator(c) {
    const { operator_id } = c.req.valid("param");
    const row = await getOperatorRow(c.env.DB, operator_id);
    if (!row) throw operatorNotFound(operator_id);
    return c.json(operatorView(row), 200);
  },
);

operators.openapi(
  createRoute({
    method: "post",
    path: "/operators/{operator_id}/rotate",
    operationId: "rotateOperator",
    summary: "Replace an operator's token (the new one is in this response only); the old one stops at once",
    description:
      "No grace period: the old token is refused at once on the isolate that answered and within 5 s (the operator cache) on every other.",
    request: { params: OperatorParam },
    responses: {
      201: json(OperatorCreatedSchema, "The operator with its new token"),
      401: ERRORS[401],
      403: ERRORS[403],
      404: ERRORS[404],
      409: ERRORS[409],
    },
  }),
  async function rotateOperator(c) {
    const { operator_id } = c.req.valid("param");
    const before = await liveOperator(c, operator_id);
    const token = generateOperatorToken();
    const now = nowIso();
    const afterRow = { ...before, token_hash: await hashKey(token), prefix: operatorTokenPrefix(token), updated_at: now };
    await changeLiveOperator(
      c,
      operator_id,
      rotateOperatorStatement(c.env.DB, operator_id, { tokenHash: afterRow.token_hash, prefix: afterRow.prefix }, now),
      {
        action: "operator.rotate",
        targetType: "operator",
        targetId: operator_id,
        before: operatorView(before),
        after: operatorView(afterRow),
      },
    );
    forgetOperator(before.token_hash);
    return c.json({ ...operatorView(afterRow), token }, 201);
  },
);

operators.openapi(
  createRoute({
    method: "delete",
    path: "/operators/{operator_id}",
    operationId: "revokeOperator",
    summary: "Revoke an operator (kept for the record); its token stops at once",
    description: "Refused at once on the isolate that answered and within 5 s (the operator cache) on every other.",
    request: { params: OperatorParam },
    responses: {
      200: json(OperatorSchema, "The revoked operator"),
      401: ERRORS[401],
      403: ERRORS[403],
      404: ERRORS[404],
      409: ERRORS[409],
    },
  }),
  async function revokeOperator(c) {
    const { operator_id } = c.req.valid("param");
    const before = await liveOperator(c, operator_id);
    const now = nowIso();
    const afterRow = { ...before, revoked_at: now, updated_at: now };
    await changeLiveOperator(c, operator_id, revokeOperatorStatement(c.env.DB, operator_id, now), {
      action: "operator.revoke",
      targetType: "operator",
      targetId: operator_id,
      before: operatorView(before),
      after: operatorView(afterRow),
    });
    forgetOperator(before.token_hash);
    return c.json(operatorView(afterRow), 200);
  },
);
