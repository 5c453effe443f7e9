import type { Context } from "hono";
import { getKeyRow, type KeyRow } from "../db/keys";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { auditStatement, notFound } from "./views";

// A live key (not revoked), and its changes written with their audit entry: for every route that changes a key.

/** A change to a revoked key: 409, since revoked keys are kept for the record only. */
function keyRevoked(keyId: string): GatewayError {
  return new GatewayError(409, "key_revoked", `Key "${keyId}" is revoked; revoked keys are kept for the record only.`);
}

export async function liveKey(c: Context<AppEnv>, keyId: string): Promise<KeyRow> {
  const row = await getKeyRow(c.env.DB, keyId);
  if (!row) throw notFound("key", keyId);
  if (row.revoked_at !== null) throw keyRevoked(keyId);
  return row;
}

/**
 * Writes a change to a live key and its audit entry in one transaction. A revoke
 * may land between liveKey() and here: the change's `revoked_at IS NULL` then
 * matches no row, the audit entry (written only if a row changed) is not written
 * either, and the caller gets the 409 it would have got a moment later.
 */
export async function changeLiveKey(
  c: Context<AppEnv>,
  keyId: string,
  change: D1PreparedStatement,
  audit: Parameters<typeof auditStatement>[2],
): Promise<void> {
  const [result] = await c.env.DB.batch([change, auditStatement(c.env.DB, c.var.operator, audit, { ifChanged: true })]);
  if (result?.meta.changes !== 1) throw keyRevoked(keyId);
}
