import type { z } from "@hono/zod-openapi";
import { v7 as uuidv7 } from "uuid";
import { fromBase64url, toBase64url } from "../base64url";
import { type AuditRow, insertAuditIfChangedStatement, insertAuditStatement } from "../db/audit";
import type { KeyRow } from "../db/keys";
import type { TeamRow } from "../db/teams";
import { GatewayError } from "../errors";
import type { BudgetStatus } from "../limits/team-limits";
import { budgetView, limitsView } from "./limit-views";
import type { Operator } from "./operator";
import type { KeySchema, TeamSchema } from "./schemas";

export type TeamView = z.infer<typeof TeamSchema>;
export type KeyView = z.infer<typeof KeySchema>;

/** `spend`: the current period's figures from the team's object; absent (null figures) where they are not asked for, as in audit entries. */
export function teamView(row: TeamRow, spend: BudgetStatus | null = null): TeamView {
  return {
    id: row.id,
    name: row.name,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    budget: budgetView(row.budget, spend),
    limits: limitsView(row.limits),
    created_at: row.created_at,
    updated_at: row.updated_at,
    archived_at: row.archived_at,
  };
}

/** The public face of a key: never its secret, never its hash. */
export function keyView(row: KeyRow, now = Date.now(), spend: BudgetStatus | null = null): KeyView {
  const expired = row.expires_at !== null && Date.parse(row.expires_at) <= now;
  return {
    id: row.id,
    team_id: row.team_id,
    name: row.name,
    prefix: row.prefix,
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    expires_at: row.expires_at,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    budget: budgetView(row.budget, spend, now),
    limits: limitsView(row.limits),
    status: row.revoked_at !== null ? "revoked" : expired ? "expired" : "active",
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    // A revoked key has no grace period left, whatever the row still says.
    previous_key_expires_at: row.revoked_at === null ? row.previous_key_expires_at : null,
  };
}

export function notFound(what: "team" | "key", id: string): GatewayError {
  return new GatewayError(404, `${what}_not_found`, `No ${what} with id "${id}".`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** An opaque cursor holding a row's sort values (base64url of their JSON). */
export function encodeCursorValues(values: (string | null)[]): string {
  return toBase64url(new TextEncoder().encode(JSON.stringify(values)));
}

/** The values of a cursor this API returned, or null when it is not one. */
export function decodeCursorValues(cursor: string): unknown[] | null {
  const bytes = fromBase64url(cursor);
  try {
    const values: unknown = bytes === null ? null : JSON.parse(utf8.decode(bytes));
    return Array.isArray(values) ? values : null;
  } catch {
    return null;
  }
}

/** Opaque keyset cursor: the sort key of the last row of a page. */
export function encodeCursor(position: { at: string; id: string }): string {
  return encodeCursorValues([position.at, position.id]);
}

export function decodeCursor(cursor: string | undefined): { at: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = decodeCursorValues(cursor) ?? [];
  if (typeof at === "string" && typeof id === "string") return { at, id };
  throw new GatewayError(400, "invalid_cursor", "`cursor` is not a cursor this API returned.", { param: "cursor" });
}

/** A page of `limit` rows fetched as limit + 1, to know whether another page follows. */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  view: (row: Row) => Item,
  position: (row: Row) => { at: string; id: string },
) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { data: kept.map(view), next_cursor: more && last !== undefined ? encodeCursor(position(last)) : null };
}

export type AuditTarget = "team" | "key" | "price" | "operator";

/**
 * The audit entry of a change, for the same batch as the change, naming the operator who
 * made it (its id, and its name as it is now). With `ifChanged` it is written only if the
 * statement before it changed a row (see insertAuditIfChangedStatement).
 */
export function auditStatement(
  db: D1Database,
  actor: Operator,
  change: { action: string; targetType: AuditTarget; targetId: string; before: object | null; after: object | null },
  options: { ifChanged?: boolean } = {},
): D1PreparedStatement {
  const entry: AuditRow = {
    id: uuidv7(),
    at: new Date().toISOString(),
    actor: actor.id,
    actor_id: actor.id,
    actor_name: actor.name,
    action: change.action,
    target_type: change.targetType,
    target_id: change.targetId,
    before: change.before === null ? null : JSON.stringify(change.before),
    after: change.after === null ? null : JSON.stringify(change.after),
  };
  return options.ifChanged ? insertAuditIfChangedStatement(db, entry) : insertAuditStatement(db, entry);
}
