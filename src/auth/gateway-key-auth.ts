import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { bearerToken } from "./bearer";
import { hashKey, isWellFormedKey } from "./key-format";
import { type KeyRecord, lookupKey } from "./key-store";

/**
 * Why a secret no longer works, if it does not: whichever of the key's expiry and the
 * rotation that replaced this secret came first is what the caller is told.
 */
function stoppedBy(record: KeyRecord, now: number): "rotated" | "expired" | null {
  const rotatedAt = record.replacedAt !== undefined && record.replacedAt <= now ? record.replacedAt : null;
  const expiredAt = record.expiresAt !== null && record.expiresAt <= now ? record.expiresAt : null;
  if (rotatedAt !== null && (expiredAt === null || rotatedAt <= expiredAt)) return "rotated";
  return expiredAt === null ? null : "expired";
}

/**
 * Authenticates a caller by gateway key. Each failure has its own code so an
 * operator can tell a typo from a revoked key; no message ever repeats the key.
 */
export function gatewayKeyAuth(): MiddlewareHandler<AppEnv> {
  return async function gatewayKeyAuth(c, next) {
    const header = c.req.header("authorization");
    if (!header) {
      throw new GatewayError(401, "missing_api_key", "Missing API key. Send it as `Authorization: Bearer <gateway key>`.");
    }
    const key = bearerToken(header);
    if (key === undefined || !isWellFormedKey(key)) {
      throw new GatewayError(
        401,
        "malformed_api_key",
        "Malformed API key. Gateway keys start with `tgw_` and are 42 characters long; check that it was copied whole.",
      );
    }
    const record = await lookupKey(c.env.DB, await hashKey(key));
    if (record === null) throw new GatewayError(401, "invalid_api_key", "Unknown API key.");
    if (record.revoked) throw new GatewayError(401, "api_key_revoked", "This API key has been revoked.");
    const refusal = stoppedBy(record, Date.now());
    if (refusal === "rotated") throw new GatewayError(401, "api_key_rotated", "This API key was replaced by a rotation; use the new key.");
    if (refusal === "expired") throw new GatewayError(401, "api_key_expired", "This API key has expired.");
    c.set("apiKey", record);
    await next();
  };
}
