import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { bearerToken } from "../auth/bearer";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";

/**
 * `Authorization: Bearer ${ADMIN_TOKEN}` for every /admin route. The comparison
 * hashes both sides and compares in constant time, so response timing says
 * nothing about how much of a guess was right. A gateway key is never an admin token.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const expected = c.env.ADMIN_TOKEN;
    const token = bearerToken(c.req.header("authorization"));
    if (!expected) {
      throw new GatewayError(401, "admin_disabled", "The admin API is disabled: no ADMIN_TOKEN is configured.");
    }
    if (token === undefined) {
      throw new GatewayError(401, "missing_admin_token", "Missing admin token. Send `Authorization: Bearer <ADMIN_TOKEN>`.");
    }
    if (!(await timingSafeEqual(token, expected))) {
      throw new GatewayError(401, "invalid_admin_token", "Invalid admin token.");
    }
    await next();
  };
}
