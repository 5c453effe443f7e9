import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { bearerToken } from "./bearer";
import { hashKey, isWellFormedKey } from "./key-format";
import { lookupKey } from "./key-store";

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
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) {
      throw new GatewayError(401, "api_key_expired", "This API key has expired.");
    }
    c.set("apiKey", record);
    await next();
  };
}
