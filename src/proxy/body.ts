import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { assertNoDuplicateMembers } from "./duplicate-members";
import type { BodySchema, ProxiedBody } from "./schemas";

export const DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export function maxRequestBytes(env: AppEnv["Bindings"]): number {
  const configured = Number(env.MAX_REQUEST_BYTES);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_REQUEST_BYTES;
}

/**
 * 413 for a body over `limitOf(env)` bytes: refused from Content-Length, or as soon
 * as a chunked body passes the limit, never read whole (Hono's bodyLimit).
 */
export function limitBody(limitOf: (env: AppEnv["Bindings"]) => number): MiddlewareHandler<AppEnv> {
  return async function limitBody(c, next) {
    const limit = limitOf(c.env);
    return bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new GatewayError(413, "request_too_large", `Request body is larger than the gateway's limit of ${limit} bytes.`);
      },
    })(c, next);
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export interface CheckedBody {
  /** The body exactly as received, to forward when nothing needs changing. */
  raw: ArrayBuffer;
  text: string;
  body: ProxiedBody;
}

/** Reads (already size-limited by bodyLimit) and checks a JSON body; 400 names the field. */
export async function readCheckedBody(c: Context<AppEnv>, schema: BodySchema): Promise<CheckedBody> {
  const raw = await c.req.arrayBuffer();
  let text: string;
  let json: unknown;
  try {
    text = decoder.decode(raw);
    json = JSON.parse(text);
  } catch {
    throw new GatewayError(400, "invalid_json", "Request body is not valid JSON.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GatewayError(400, "invalid_json", "Request body must be a JSON object.");
  }
  // Even a request refused for another field is billed under the model it named.
  const named = (json as { model?: unknown }).model;
  if (typeof named === "string") c.get("meter").model = named;
  assertNoDuplicateMembers(text);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue && issue.path.length > 0 ? issue.path.join(".") : null;
    throw new GatewayError(400, "invalid_request_body", `Invalid request body: ${issue?.message ?? "not accepted"}.`, { param });
  }
  return { raw, text, body: parsed.data };
}
