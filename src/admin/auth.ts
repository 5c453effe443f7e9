import type { Context, MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { bearerToken } from "../auth/bearer";
import { hashKey, isWellFormedOperatorToken } from "../auth/key-format";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { ACCESS_JWT_HEADER, accessConfigured, accessOperator } from "./access";
import { BOOTSTRAP_OWNER, type Operator } from "./operator";
import { lookupOperator } from "./operator-store";

function invalidToken(): GatewayError {
  return new GatewayError(401, "invalid_admin_token", "Invalid admin token.");
}

/**
 * A bearer token: the ADMIN_TOKEN (compared in constant time: both sides are hashed, so
 * timing says nothing about how much of a guess was right), else a well-formed operator
 * token looked up by its hash. A gateway key is never an admin credential.
 */
async function bearerOperator(c: Context<AppEnv>, token: string): Promise<Operator> {
  const expected = c.env.ADMIN_TOKEN;
  if (expected && (await timingSafeEqual(token, expected))) return BOOTSTRAP_OWNER;
  if (!isWellFormedOperatorToken(token)) {
    if (!expected) throw new GatewayError(401, "admin_disabled", "The admin API is disabled: no ADMIN_TOKEN is configured.");
    throw invalidToken();
  }
  const record = await lookupOperator(c.env.DB, await hashKey(token));
  // A rotated token's hash is gone: it is unknown, like a token never issued.
  if (record === null) throw invalidToken();
  if (record.revoked) throw new GatewayError(401, "operator_revoked", "This operator token has been revoked.");
  return record.operator;
}

/**
 * Who is calling /admin: `Authorization: Bearer` with the ADMIN_TOKEN (the bootstrap owner)
 * or an operator token; without one, and with ACCESS_TEAM_DOMAIN and ACCESS_AUD set, the
 * Cloudflare Access token in Cf-Access-Jwt-Assertion, acting as the operator of its email.
 * A bearer token wins when both are sent (a CLI behind Access sends both). No message
 * repeats a token.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const header = c.req.header("authorization");
    const token = bearerToken(header);
    const assertion = accessConfigured(c.env) ? c.req.header(ACCESS_JWT_HEADER) : undefined;
    let operator: Operator;
    if (token !== undefined) {
      operator = await bearerOperator(c, token);
    } else if (header === undefined && assertion) {
      operator = await accessOperator(c.env, assertion);
    } else if (!c.env.ADMIN_TOKEN) {
      throw new GatewayError(401, "admin_disabled", "The admin API is disabled: no ADMIN_TOKEN is configured.");
    } else {
      throw new GatewayError(401, "missing_admin_token", "Missing admin token. Send `Authorization: Bearer <ADMIN_TOKEN>`.");
    }
    c.set("operator", operator);
    await next();
  };
}
