import type { MiddlewareHandler } from "hono";
import { v7 as uuidv7 } from "uuid";
import type { AppEnv } from "./env";

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * Gives every request a sortable id (UUIDv7: time-ordered, so the ledger's
 * primary key is also its time index) and returns it in `x-request-id`.
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const id = uuidv7();
    c.set("requestId", id);
    c.set("startedAt", Date.now());
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}
