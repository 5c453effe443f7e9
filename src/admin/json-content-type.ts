import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";

/**
 * What clients put on a body when the caller named no type: curl's `-d` sends
 * application/x-www-form-urlencoded, fetch() with a string text/plain;charset=UTF-8.
 */
const DEFAULTED_TYPES = new Set(["application/x-www-form-urlencoded", "text/plain"]);
/** application/json and the +json types, as @hono/zod-openapi's body check matches them. */
const JSON_TYPE = /^application\/([a-z0-9.-]+\+)?json$/;
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function isJson(bytes: ArrayBuffer): boolean {
  try {
    JSON.parse(decoder.decode(bytes));
    return true;
  } catch {
    return false;
  }
}

/** The type as sent, cut short: it is the caller's text, quoted back. */
const MAX_QUOTED_TYPE = 100;

function unsupported(type: string | null): GatewayError {
  const sent = type === null ? "no Content-Type" : `"Content-Type: ${type.slice(0, MAX_QUOTED_TYPE)}"`;
  return new GatewayError(
    415,
    "unsupported_media_type",
    `The admin API takes JSON bodies: send "Content-Type: application/json" (this request sent ${sent}).`,
    { type: "invalid_request_error" },
  );
}

/** The request again with `body` and, when given, `type` (no Content-Type without). */
function withBody(raw: Request, body: ArrayBuffer | null, type: string | null): Request {
  const headers = new Headers(raw.headers);
  if (type === null) headers.delete("content-type");
  else headers.set("content-type", type);
  return new Request(raw.url, { method: raw.method, headers, body });
}

/**
 * The admin API reads a JSON body whatever type a bearer caller forgot to name, as /v1 does:
 * no Content-Type, or the default curl or fetch put on a body, is read as JSON when the body
 * is JSON. Only with `Authorization`: a browser cannot add that header cross-site without a
 * CORS preflight, whereas with a cookie sign-in (Cloudflare Access) a cross-site form post
 * arrives with those very types, so such a request must say application/json. Any other type
 * is a 415 naming the header. The OpenAPI document still says application/json.
 */
export function jsonContentType(): MiddlewareHandler<AppEnv> {
  return async function jsonContentType(c, next) {
    const raw = c.req.raw;
    if (!BODY_METHODS.has(raw.method) || raw.body === null) return next();
    const type = raw.headers.get("content-type");
    const essence = type?.split(";")[0]?.trim().toLowerCase() ?? "";
    if (JSON_TYPE.test(essence)) return next();
    const bytes = await c.req.arrayBuffer();
    // No body after all (curl -d ''): nothing to read, whatever the type said.
    if (bytes.byteLength === 0) {
      c.req.raw = withBody(raw, null, null);
      return next();
    }
    const bearer = raw.headers.has("authorization");
    if (!bearer || (type !== null && !DEFAULTED_TYPES.has(essence))) throw unsupported(type);
    if (!isJson(bytes)) {
      if (type !== null) throw unsupported(type);
      throw new GatewayError(400, "invalid_json", 'Request body is not valid JSON (send JSON, with "Content-Type: application/json").');
    }
    c.req.raw = withBody(raw, bytes, "application/json");
    return next();
  };
}
